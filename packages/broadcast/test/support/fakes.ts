/**
 * Fake ports for unit tests: virtual timers fired only by `advance`, a seeded random, and a carrier stub that
 * records every send and answers with a scripted result.
 */
import { createPlumtree, type DeliveryMeta, type NodeId, type Plumtree, type PlumtreeInit, type SendResult } from '@rumor/broadcast';

export const id = (s: string): NodeId => s as NodeId;

/** Virtual time: timers run only when a test advances the clock. */
export function createFakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(delayMs: number, fn: () => void) {
      const key = seq++;
      pending.set(key, { at: now + delayMs, fn });
      return () => {
        pending.delete(key);
      };
    },
    /** Moves the clock forward by `ms`, firing due timers in time order (and timers they set, if due). */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let best: [number, { at: number; fn: () => void }] | undefined;
        for (const e of pending) if (e[1].at <= end && (best === undefined || e[1].at < best[1].at)) best = e;
        if (best === undefined) break;
        pending.delete(best[0]);
        now = best[1].at;
        best[1].fn();
      }
      now = end;
    },
    get pending() {
      return pending.size;
    },
  };
}

/** A seeded uniform random (mulberry32). */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export interface Sent {
  to: NodeId;
  type: string;
  body: any;
}

/** One Plumtree node over fake ports, with everything it sent and delivered recorded. */
export function createHarness(init: PlumtreeInit = {}, options: { self?: string; deliver?: (tag: string, payload: Uint8Array, meta: DeliveryMeta) => boolean | void; isKnown?: (id: string) => boolean; graft?: (id: string) => { tag: string; payload: Uint8Array } | undefined } = {}) {
  const timers = createFakeTimers();
  const sent: Sent[] = [];
  const delivered: { tag: string; payload: Uint8Array; meta: DeliveryMeta }[] = [];
  let result: (to: NodeId, type: string) => SendResult = () => 'accepted';
  const node: Plumtree = createPlumtree(
    { antiEntropyIntervalMs: 0, ...init },
    {
      self: id(options.self ?? 'self'),
      send(to, type, body) {
        const r = result(to, type);
        if (r === 'accepted') sent.push({ to, type, body });
        return r;
      },
      timers,
      random: seededRandom(1),
      deliver(tag, payload, meta) {
        delivered.push({ tag, payload, meta });
        return options.deliver?.(tag, payload, meta);
      },
      ...(options.isKnown ? { isKnown: options.isKnown as (id: string) => boolean } : {}),
      ...(options.graft ? { graft: options.graft } : {}),
    },
  );
  return {
    node,
    timers,
    sent,
    delivered,
    /** Scripts the carrier's answer. */
    carrier(fn: (to: NodeId, type: string) => SendResult) {
      result = fn;
    },
    /** Sent messages of `type` (and to `to`), clearing nothing. */
    of(type: string, to?: string) {
      return sent.filter((s) => s.type === type && (to === undefined || s.to === to));
    },
    clear() {
      sent.length = 0;
    },
  };
}

export const bytes = (...b: number[]) => new Uint8Array(b);

/** A well-formed gossip body. */
export function gossip(msgId: string, hops = 1, tag = 't', payload = bytes(1)) {
  return { id: msgId, tag, hops, payload };
}
