/**
 * Test helpers: carriers on 127.0.0.1 port 0 with short timeouts, an event recorder whose waits resolve on events
 * (never on fixed sleeps), and cleanup of everything a test opened.
 */
import { createServer } from 'node:net';
import { createWsCarrier, type CarrierEvents, type Envelope, type NodeId, type WsCarrier, type WsCarrierInit } from '@rumor/carrier-ws';

/** One recorded carrier event. */
export type Recorded =
  | { kind: 'up'; peer: NodeId; address: string }
  | { kind: 'down'; peer: NodeId; reason: string }
  | { kind: 'message'; peer: NodeId; envelope: Envelope }
  | { kind: 'connectFailed'; address: string; reason: string }
  | { kind: 'drain'; peer: NodeId };

/** Records a carrier's events and lets a test await one matching a predicate. */
export interface Recorder extends CarrierEvents {
  readonly events: Recorded[];
  /** Resolves with the first event (already recorded or future) matching `match`; rejects after `timeoutMs`. */
  waitFor(match: (e: Recorded) => boolean, what: string, timeoutMs?: number): Promise<Recorded>;
  /** Resolves once `n` events match. */
  waitForCount(match: (e: Recorded) => boolean, n: number, what: string, timeoutMs?: number): Promise<void>;
  of(kind: Recorded['kind']): Recorded[];
}

export function createRecorder(): Recorder {
  const events: Recorded[] = [];
  const waiters: { check: () => boolean }[] = [];
  const push = (e: Recorded): void => {
    events.push(e);
    for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1);
  };
  const waitForCount = (match: (e: Recorded) => boolean, n: number, what: string, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(events.map((e) => e.kind === 'message' ? { kind: 'message', type: e.envelope.type } : e)).slice(0, 2000)}`));
      }, timeoutMs);
      const w = {
        check: () => {
          if (events.filter(match).length < n) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
      };
      if (!w.check()) waiters.push(w);
    });
  return {
    events,
    up: (peer, address) => push({ kind: 'up', peer, address }),
    down: (peer, reason) => push({ kind: 'down', peer, reason }),
    message: (peer, envelope) => push({ kind: 'message', peer, envelope }),
    connectFailed: (address, reason) => push({ kind: 'connectFailed', address, reason }),
    drain: (peer) => push({ kind: 'drain', peer }),
    async waitFor(match, what, timeoutMs) {
      await waitForCount(match, 1, what, timeoutMs);
      return events.find(match)!;
    },
    waitForCount,
    of: (kind) => events.filter((e) => e.kind === kind),
  };
}

/** Fast settings for tests: short handshake and close timeouts, quick retries. */
export const FAST: Partial<WsCarrierInit> = {
  handshakeTimeoutMs: 2000,
  closeTimeoutMs: 500,
  connectBackoffBaseMs: 10,
  connectBackoffMaxMs: 50,
};

/** Tracks carriers so `closeAll` can close every one a test created. */
export function createPool(): {
  carrier(id: string, extra?: Partial<WsCarrierInit>): Promise<{ carrier: WsCarrier; events: Recorder }>;
  closeAll(): Promise<void>;
} {
  const open: WsCarrier[] = [];
  return {
    async carrier(id, extra = {}) {
      const carrier = createWsCarrier({ id, secret: 'test-cluster-secret', ...FAST, ...extra });
      const events = createRecorder();
      carrier.listen(events);
      open.push(carrier);
      await carrier.start();
      return { carrier, events };
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((c) => c.close()));
    },
  };
}

/** An envelope for tests. */
export function env(type: string, body: unknown, layer: Envelope['layer'] = 'membership'): Envelope {
  return { v: 1, layer, type, body };
}

/** A port nobody listens on: bind one, note it, close it. */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
