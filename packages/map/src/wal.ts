/**
 * The write-ahead log of one map (design §7): checksummed records in numbered segments, atomic snapshots that
 * truncate the log, and recovery that hands back the intact prefix and cuts a torn or corrupt tail.
 *
 * Files (names are fixed-width so that they sort by generation):
 * - `log-<gen>.wal`: records back to back, framed by crdt-wire (`length ‖ crc32c ‖ msgpack payload`).
 * - `snapshot-<gen>.snap`: a header record `{ v: 1, chunks: n }` then n chunk records; it covers every segment
 *   with a smaller generation, so recovery is: the newest snapshot, then every segment from its generation on.
 *
 * Invariants:
 * - A record appended with `durable: true` is on stable storage when its promise resolves, per the fsync policy:
 *   `always` (default) fsyncs before resolving, with group commit of whatever queued up meanwhile; `batch` fsyncs
 *   after `batchRecords` records or `batchIntervalMs`, whichever comes first, and resolves after that fsync;
 *   `never` resolves once the OS has the bytes (a crash of the machine may lose them, a crash of the process not).
 * - Records reach a segment in the order `append` was called; the log is only meaningful as a prefix, so recovery
 *   stops at the first torn or corrupt record of a segment, truncates it there and reports a warning.
 * - A segment is removed only after the snapshot that covers it is durable; a leftover segment or snapshot of an
 *   interrupted clean-up is harmless (replay is a join) and is removed by the next recovery.
 */
import { decodeRecords, encodeRecord, type CodecLimits } from '@rumor/crdt-wire';
import { MapError, MapErrorCode, type MapLogger, type MapWarning } from './errors.js';
import type { MapStorage } from './storage.js';

/** When a local write's record is fsynced. */
export type FsyncPolicy = 'always' | 'batch' | 'never';

/** Tunables of the log. */
export interface WalInit {
  /** Fsync policy for durable appends. Default `'always'`. */
  fsync?: FsyncPolicy;
  /** `batch` policy: longest wait before the fsync that covers a record, in ms. Default 10. */
  batchIntervalMs?: number;
  /** `batch` policy: fsync as soon as this many durable records wait. Default 256. */
  batchRecords?: number;
  /** Largest record payload in bytes (a batch, a snapshot chunk). Default 16 MiB. */
  recordBytesMax?: number;
}

/** Timer port (the node passes real timers; tests may pass virtual ones). */
export interface WalTimers {
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Collaborators of the log. */
export interface WalComponents {
  storage: MapStorage;
  /** Default: `setTimeout`. Only the `batch` policy sets timers. */
  timers?: WalTimers;
  log?: MapLogger;
}

/** What recovery found: the snapshot's chunk payloads and the log records after it, decoded, not yet validated. */
export interface Recovered {
  snapshot: unknown[];
  records: unknown[];
  warnings: MapWarning[];
}

/** Counters and state of the log, for `status()`. */
export interface WalStats {
  policy: FsyncPolicy;
  /** Generation of the segment being appended to. */
  generation: number;
  /** Records appended since the last snapshot (all segments still on disk). */
  recordsSinceSnapshot: number;
  /** Bytes appended since the last snapshot. */
  bytesSinceSnapshot: number;
  /** Durable appends not yet acknowledged (waiting for their write or fsync). */
  pendingDurable: number;
  /** Records written but not yet fsynced (durable ones and others). */
  unsyncedRecords: number;
  fsyncs: number;
  snapshots: number;
  /** Set once an I/O error occurred; the log refuses further appends. */
  failed: string | undefined;
}

/** A snapshot in progress: the log already appends to the new segment; `commit` writes the snapshot. */
export interface SnapshotTicket {
  readonly generation: number;
  /** Write the snapshot (already framed chunk records) atomically, then remove what it covers. */
  commit(chunks: readonly Uint8Array[]): Promise<void>;
}

/** A map's write-ahead log. */
export interface Wal {
  /** Read snapshot and log, cut a torn tail, open the log for appends. Call once, first. */
  recover(): Promise<Recovered>;
  /** Frame a value as one record within `recordBytesMax` (fails like crdt-wire `encodeRecord`). */
  frame(value: unknown): ReturnType<typeof encodeRecord>;
  /** Append a framed record; resolves when written and, if `durable`, fsynced per the policy. */
  append(record: Uint8Array, durable: boolean): Promise<void>;
  /** Start a snapshot now: later appends go to a new segment. Synchronous, so the caller captures state at once. */
  rotate(): SnapshotTicket;
  /** Fsync whatever was written, whatever the policy (graceful close, explicit flush). */
  flush(): Promise<void>;
  /** Flush, then release the storage. */
  close(): Promise<void>;
  stats(): WalStats;
}

const LOG_RE = /^log-(\d{10})\.wal$/;
const SNAPSHOT_RE = /^snapshot-(\d{10})\.snap$/;
const logName = (gen: number): string => `log-${String(gen).padStart(10, '0')}.wal`;
const snapshotName = (gen: number): string => `snapshot-${String(gen).padStart(10, '0')}.snap`;

type Op =
  | { kind: 'record'; bytes: Uint8Array; durable: boolean; done: Deferred }
  | { kind: 'rotate'; generation: number; done: Deferred }
  | { kind: 'sync'; done: Deferred };

interface Deferred {
  resolve(): void;
  reject(error: unknown): void;
}

/** Create the log of one map over a storage (the log owns the storage from now on and closes it). */
export function createWal(init: WalInit, components: WalComponents): Wal {
  const policy = init.fsync ?? 'always';
  const batchIntervalMs = init.batchIntervalMs ?? 10;
  const batchRecords = init.batchRecords ?? 256;
  const recordBytesMax = init.recordBytesMax ?? 16 * 1024 * 1024;
  if (!['always', 'batch', 'never'].includes(policy)) {
    throw new MapError(MapErrorCode.badOption, `fsync policy must be always, batch or never, got ${String(policy)}`);
  }
  if (!(batchIntervalMs >= 0) || !(batchRecords >= 1) || !(recordBytesMax >= 1024)) {
    throw new MapError(MapErrorCode.badOption, 'batchIntervalMs ≥ 0, batchRecords ≥ 1, recordBytesMax ≥ 1024');
  }
  // Our own files, but they may be corrupt: still decode within bounds. A record can hold a whole batch.
  const limits: CodecLimits = { frameBytesMax: recordBytesMax, entriesMax: Math.max(100_000, recordBytesMax / 4) };
  const { storage } = components;
  const timers: WalTimers = components.timers ?? {
    setTimer: (ms, fn) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  };

  let opened = false;
  let closed = false;
  let failed: string | undefined;
  let generation = 0; // the segment appends are written to
  let queued: Op[] = [];
  let running = false;
  /** Durable records written to the current segment, waiting for an fsync (batch policy). */
  let awaitingSync: Deferred[] = [];
  let unsyncedRecords = 0;
  let cancelBatchTimer: (() => void) | undefined;
  const stats = { fsyncs: 0, snapshots: 0, recordsSinceSnapshot: 0, bytesSinceSnapshot: 0, pendingDurable: 0 };

  const fail = (error: unknown): MapError => {
    const message = error instanceof Error ? error.message : String(error);
    failed ??= message;
    return new MapError(MapErrorCode.storageFailed, `map storage failed: ${message}`, { cause: error });
  };

  async function recover(): Promise<Recovered> {
    if (opened) throw new MapError(MapErrorCode.badOption, 'wal: recover() called twice');
    opened = true;
    const warnings: MapWarning[] = [];
    const warn = (code: MapWarning['code'], message: string): void => {
      const warning = { code, message };
      warnings.push(warning);
      components.log?.warn(warning);
    };
    const names = await storage.list();
    const gens = (re: RegExp): number[] =>
      names.flatMap((n) => {
        const m = re.exec(n);
        return m === null ? [] : [Number(m[1])];
      }).sort((a, b) => a - b);
    const snapshots = gens(SNAPSHOT_RE);
    const segments = gens(LOG_RE);

    let snapshot: unknown[] = [];
    const base = snapshots.at(-1) ?? 0;
    if (snapshots.length > 0) snapshot = await readSnapshot(snapshotName(base));
    // Clean-up an interrupted snapshot: what the newest snapshot covers is garbage now.
    for (const gen of snapshots) if (gen < base) await storage.remove(snapshotName(gen));
    for (const gen of segments) if (gen < base) await storage.remove(logName(gen));

    const records: unknown[] = [];
    const live = segments.filter((g) => g >= base);
    for (const gen of live) {
      const name = logName(gen);
      const bytes = (await storage.read(name)) ?? new Uint8Array(0);
      const decoded = decodeRecords(bytes, limits);
      for (const r of decoded.records) records.push(r);
      stats.recordsSinceSnapshot += decoded.records.length;
      stats.bytesSinceSnapshot += decoded.validBytes;
      if (decoded.torn !== undefined) {
        warn(
          MapErrorCode.logTailCut,
          `${name}: cut ${bytes.length - decoded.validBytes} bytes after ${decoded.records.length} intact records ` +
            `(${decoded.torn.code}: ${decoded.torn.message})`,
        );
        await storage.truncate(name, decoded.validBytes);
      }
    }
    generation = live.at(-1) ?? Math.max(base, 1);
    if (live.length === 0) await storage.create(logName(generation));
    return { snapshot, records, warnings };
  }

  async function readSnapshot(name: string): Promise<unknown[]> {
    const bytes = (await storage.read(name)) ?? new Uint8Array(0);
    const decoded = decodeRecords(bytes, limits);
    const [header, ...chunks] = decoded.records;
    const count = isHeader(header) ? header.chunks : -1;
    if (decoded.torn !== undefined || count !== chunks.length) {
      // Written atomically, so this is media corruption or tampering: refuse to guess which writes are missing.
      throw new MapError(
        MapErrorCode.snapshotCorrupt,
        `${name} is unreadable (${decoded.torn?.message ?? `expected ${count} chunks, found ${chunks.length}`}); ` +
          'move it away to start from the log alone and let peers repair the rest',
      );
    }
    return chunks;
  }

  function append(record: Uint8Array, durable: boolean): Promise<void> {
    if (!opened || closed) return Promise.reject(new MapError(MapErrorCode.closed, 'wal: not open'));
    if (failed !== undefined) return Promise.reject(fail(failed));
    return new Promise<void>((resolve, reject) => {
      if (durable) stats.pendingDurable += 1;
      const settle = (fn: () => void) => () => {
        if (durable) stats.pendingDurable -= 1;
        fn();
      };
      queued.push({ kind: 'record', bytes: record, durable, done: { resolve: settle(resolve), reject: (e) => settle(() => reject(e))() } });
      kick();
    });
  }

  function kick(): void {
    if (running) return;
    running = true;
    void drain().finally(() => {
      running = false;
      if (queued.length > 0) kick();
    });
  }

  /** The single writer: takes queued ops in order, coalescing consecutive records into one write. */
  async function drain(): Promise<void> {
    while (queued.length > 0) {
      const op = queued[0]!;
      if (op.kind !== 'record') {
        queued.shift();
        try {
          if (failed !== undefined) throw fail(failed);
          await syncNow();
          if (op.kind === 'rotate') {
            await storage.create(logName(op.generation));
          }
          op.done.resolve();
        } catch (error) {
          op.done.reject(fail(error));
          rejectAll(error);
        }
        continue;
      }
      let n = 0;
      while (n < queued.length && queued[n]!.kind === 'record') n += 1;
      const group = queued.splice(0, n) as Extract<Op, { kind: 'record' }>[];
      try {
        if (failed !== undefined) throw fail(failed);
        const bytes = concat(group.map((o) => o.bytes));
        await storage.append(logName(generationOfWrites), bytes);
        stats.recordsSinceSnapshot += group.length;
        stats.bytesSinceSnapshot += bytes.length;
        unsyncedRecords += group.length;
        const durable = group.filter((o) => o.durable).map((o) => o.done);
        for (const o of group) if (!o.durable) o.done.resolve();
        if (policy === 'never') {
          for (const d of durable) d.resolve();
        } else if (durable.length > 0) {
          awaitingSync.push(...durable);
          if (policy === 'always' || awaitingSync.length >= batchRecords) await syncNow();
          else armBatchTimer();
        }
      } catch (error) {
        for (const o of group) o.done.reject(fail(error));
        rejectAll(error);
      }
    }
  }

  // The segment records are written to. It differs from `generation` between `rotate()` (synchronous) and the
  // moment the writer reaches the rotate op: records queued before the rotation still go to the old segment.
  let generationOfWrites = 0;

  async function syncNow(): Promise<void> {
    cancelBatchTimer?.();
    cancelBatchTimer = undefined;
    if (unsyncedRecords === 0 && awaitingSync.length === 0) return;
    const waiting = awaitingSync;
    awaitingSync = [];
    await storage.sync(logName(generationOfWrites));
    stats.fsyncs += 1;
    unsyncedRecords = 0;
    for (const d of waiting) d.resolve();
  }

  function armBatchTimer(): void {
    if (cancelBatchTimer !== undefined) return;
    cancelBatchTimer = timers.setTimer(batchIntervalMs, () => {
      cancelBatchTimer = undefined;
      enqueueSync().catch(() => undefined); // a failure reaches the waiting appends themselves
    });
  }

  function enqueueSync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queued.push({ kind: 'sync', done: { resolve, reject } });
      kick();
    });
  }

  function rejectAll(error: unknown): void {
    const e = fail(error);
    for (const d of awaitingSync) d.reject(e);
    awaitingSync = [];
    for (const op of queued) op.done.reject(e);
    queued = [];
  }

  function rotate(): SnapshotTicket {
    if (!opened || closed || failed !== undefined) throw fail(failed ?? 'wal: not open');
    generation += 1;
    const target = generation;
    const rotated = new Promise<void>((resolve, reject) => {
      queued.push({
        kind: 'rotate',
        generation: target,
        done: {
          resolve: () => {
            generationOfWrites = target;
            resolve();
          },
          reject,
        },
      });
      kick();
    });
    rotated.catch(() => undefined);
    return {
      generation: target,
      async commit(chunks) {
        await rotated;
        const header = frameOrThrow({ v: 1, chunks: chunks.length });
        try {
          await storage.writeAtomic(snapshotName(target), [header, ...chunks]);
          // Only now that the snapshot is durable may what it covers go.
          const names = await storage.list();
          for (const n of names) {
            const m = LOG_RE.exec(n) ?? SNAPSHOT_RE.exec(n);
            if (m !== null && Number(m[1]) < target) await storage.remove(n);
          }
        } catch (error) {
          throw fail(error);
        }
        stats.snapshots += 1;
        stats.recordsSinceSnapshot = 0;
        stats.bytesSinceSnapshot = 0;
      },
    };
  }

  function frameOrThrow(value: unknown): Uint8Array {
    const framed = encodeRecord(value, limits);
    if (!framed.ok) throw new MapError(MapErrorCode.valueTooLarge, framed.error.message);
    return framed.value;
  }

  return {
    recover: async () => {
      const recovered = await recover();
      generationOfWrites = generation;
      return recovered;
    },
    frame: (value) => encodeRecord(value, limits),
    append,
    rotate,
    flush: () => {
      if (!opened || closed) return Promise.resolve();
      return enqueueSync();
    },
    async close() {
      if (closed) return;
      if (opened && failed === undefined) await enqueueSync().catch(() => undefined);
      closed = true;
      cancelBatchTimer?.();
      await storage.close();
    },
    stats: () => ({
      policy,
      generation,
      recordsSinceSnapshot: stats.recordsSinceSnapshot,
      bytesSinceSnapshot: stats.bytesSinceSnapshot,
      pendingDurable: stats.pendingDurable,
      unsyncedRecords,
      fsyncs: stats.fsyncs,
      snapshots: stats.snapshots,
      failed,
    }),
  };
}

function isHeader(value: unknown): value is { v: 1; chunks: number } {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as { v?: unknown; chunks?: unknown };
  return h.v === 1 && typeof h.chunks === 'number' && Number.isInteger(h.chunks) && h.chunks >= 0;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
