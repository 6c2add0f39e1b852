/**
 * The per-instance callback queue: serialises the user's callbacks of one instance and contains their failures.
 *
 * Guarantees: callbacks of one instance run one at a time in arrival order, so an async `mergeDelta` is never
 * interleaved with an `applyFullSync` of the same instance; a synchronous callback runs synchronously (no
 * microtask hop, which keeps the simulator deterministic); a throw, a rejection or a promise that does not settle
 * within `timeoutMs` is reported through `onError` and the queue moves on. The queue is bounded: a task beyond
 * `queueMax` is refused (the caller counts it; anti-entropy repairs what a dropped delta carried).
 */
import type { MaybePromise } from './callbacks.js';
import type { CallbackName, Timers } from './ports.js';
import { ReplicaErrorCode, describeThrown } from './errors.js';
import type { ErrorInfo } from './ports.js';

/** A serial queue of callback invocations. */
export interface SerialQueue {
  /**
   * Run `fn` (a user callback) after everything queued before it; `then` receives its value. Returns false when
   * the queue is full or closed and the task was not taken.
   */
  run<T>(callback: CallbackName, fn: () => MaybePromise<T>, then?: (value: T) => void): boolean;
  /** Drop queued tasks; later `run` calls are refused; an in-flight promise's result is ignored. */
  close(): void;
  /** Tasks waiting, including the one running. */
  size(): number;
}

interface Task {
  callback: CallbackName;
  fn: () => unknown;
  then: ((value: unknown) => void) | undefined;
}

/** Create a serial queue; `onError` hears about every contained callback failure. */
export function createSerialQueue(init: {
  timers: Timers;
  timeoutMs: number;
  queueMax: number;
  onError(callback: CallbackName, error: ErrorInfo, cause: unknown): void;
}): SerialQueue {
  const queue: Task[] = [];
  let busy = false; // a task is running (sync) or awaiting its promise
  let closed = false;
  let generation = 0; // bumps when an async task finishes, so a late settlement is ignored
  let cancelTimeout: (() => void) | undefined;

  const isThenable = (v: unknown): v is PromiseLike<unknown> =>
    v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

  function finish(task: Task, value: unknown): void {
    if (task.then === undefined) return;
    try {
      task.then(value);
    } catch (e) {
      // A continuation is driver code; it must not throw, but if it does the queue still moves on.
      init.onError(task.callback, describeThrown(ReplicaErrorCode.callbackFailed, e), e);
    }
  }

  function drain(): void {
    while (!busy && !closed && queue.length > 0) {
      const task = queue.shift()!;
      busy = true;
      let result: unknown;
      try {
        result = task.fn();
      } catch (e) {
        busy = false;
        init.onError(task.callback, describeThrown(ReplicaErrorCode.callbackFailed, e), e);
        continue;
      }
      if (!isThenable(result)) {
        busy = false;
        finish(task, result);
        continue;
      }
      const mine = ++generation;
      const settle = (ok: boolean, value: unknown, error?: ErrorInfo): void => {
        if (mine !== generation || closed) return;
        generation++;
        cancelTimeout?.();
        cancelTimeout = undefined;
        busy = false;
        if (ok) finish(task, value);
        else init.onError(task.callback, error!, value);
        drain();
      };
      cancelTimeout = init.timers.setTimer(init.timeoutMs, () =>
        settle(false, undefined, {
          code: ReplicaErrorCode.callbackTimeout,
          message: `${task.callback} did not settle within ${init.timeoutMs} ms`,
        }),
      );
      result.then(
        (v) => settle(true, v),
        (e) => settle(false, e, describeThrown(ReplicaErrorCode.callbackFailed, e)),
      );
      return;
    }
  }

  return {
    run(callback, fn, then) {
      if (closed || queue.length >= init.queueMax) return false;
      queue.push({ callback, fn, then: then as ((value: unknown) => void) | undefined });
      drain();
      return true;
    },
    close() {
      closed = true;
      queue.length = 0;
      generation++;
      cancelTimeout?.();
      cancelTimeout = undefined;
    },
    size() {
      return queue.length + (busy ? 1 : 0);
    },
  };
}
