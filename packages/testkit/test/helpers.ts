// Test helpers: a recording listener for simulated carriers.
import type { Carrier, Envelope, NodeId } from '../src/index.js';

export type Rec =
  | { e: 'up'; peer: string; address: string; t: number }
  | { e: 'down'; peer: string; reason: string; t: number }
  | { e: 'message'; peer: string; body: unknown; t: number }
  | { e: 'connectFailed'; address: string; reason: string; t: number }
  | { e: 'drain'; peer: string; t: number };

/** Attach a listener that records every event of `carrier`. */
export function record(carrier: Carrier, now: () => number): Rec[] {
  const log: Rec[] = [];
  carrier.listen({
    up: (peer, address) => log.push({ e: 'up', peer, address, t: now() }),
    down: (peer, reason) => log.push({ e: 'down', peer, reason, t: now() }),
    message: (peer, env) => log.push({ e: 'message', peer, body: env.body, t: now() }),
    connectFailed: (address, reason) => log.push({ e: 'connectFailed', address, reason, t: now() }),
    drain: (peer) => log.push({ e: 'drain', peer, t: now() }),
  });
  return log;
}

/** A test envelope. */
export function env(body: unknown): Envelope {
  return { v: 1, layer: 'replica', type: 'test', body };
}

export function bodies(log: Rec[], peer?: string): unknown[] {
  return log.filter((r) => r.e === 'message' && (peer === undefined || r.peer === peer)).map((r) => (r as { body: unknown }).body);
}

export function id(s: string): NodeId {
  return s as NodeId;
}
