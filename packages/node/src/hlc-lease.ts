/**
 * The node's hybrid logical clock with a persisted lease, so that no timestamp is ever issued twice — not after a
 * graceful restart, not after SIGKILL or a power cut (issue 8: "never reissues a timestamp").
 *
 * `hlc.json` holds a lease L: "this node may have issued timestamps up to L". Invariant: every timestamp handed out
 * is ≤ the lease on disk. A reading above the lease first extends it durably (synchronous write + fsync, rare: a
 * timer extends it ahead of use). On start the clock is restored to L, so every reading is > L ≥ everything issued
 * before the crash. At a graceful close the exact high-water mark is written instead, so a clean restart does not
 * jump ahead; after a crash the clock runs at most `leaseMs` ahead of the wall clock until the wall catches up
 * (well within peers' `maxDriftMs`).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createHlc, pack, unpack, type Hlc, type Timestamp } from '@rumor/hlc';
import { NodeError, NodeErrorCode } from './errors.js';
import { readJsonSync, writeFileAtomicSync } from './data-dir.js';

/** Tunables of the lease. */
export interface HlcLeaseInit {
  /** How far ahead of the clock a lease reaches, in ms. Default 5 000. */
  leaseMs?: number;
  /** Largest accepted lead of remote timestamps (passed to the HLC). Default 60 000. */
  maxDriftMs?: number;
}

/** What the lease needs from outside. */
export interface HlcLeaseComponents {
  wallClock: () => number;
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** The clock the maps and replicas use, plus lease control. */
export interface LeasedClock {
  readonly hlc: Hlc;
  /** A new timestamp, covered by the durable lease. */
  now(): Timestamp;
  /** Raise the clock (merged remote dots); never above what `now` then covers by the lease. */
  observe(ts: Timestamp | number): unknown;
  /** The lease on disk, packed. */
  lease(): number;
  /** How many times the lease was written. */
  renewals(): number;
  /** Stop the renewal timer and write the exact high-water mark. */
  close(): void;
}

/** Restore the clock from `<dir>/hlc.json` and keep a lease ahead of it. */
export function createLeasedClock(dir: string, init: HlcLeaseInit, components: HlcLeaseComponents): LeasedClock {
  const leaseMs = init.leaseMs ?? 5000;
  if (!(Number.isSafeInteger(leaseMs) && leaseMs >= 10)) throw new NodeError(NodeErrorCode.badConfig, 'hlc leaseMs must be an integer ≥ 10');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'hlc.json');
  const stored = readJsonSync(file) as { lease?: unknown } | undefined;
  let restored: Timestamp | undefined;
  if (stored !== undefined) {
    const r = unpack(stored.lease);
    if (!r.ok) throw new NodeError(NodeErrorCode.dataCorrupt, `${file}: lease is not a packed timestamp (${r.error.message})`);
    restored = r.value;
  }
  const hlc = createHlc({ maxDriftMs: init.maxDriftMs ?? 60_000, ...(restored ? { last: restored } : {}) }, { wallClock: components.wallClock });
  let leaseWall = restored?.wallMs ?? 0;
  let leasePacked = restored ? pack(restored) : 0;
  let renewals = 0;
  let closed = false;

  function write(ts: Timestamp): void {
    leasePacked = pack(ts);
    leaseWall = ts.wallMs;
    writeFileAtomicSync(file, `${JSON.stringify({ lease: leasePacked, wallMs: ts.wallMs })}\n`);
    renewals++;
  }
  function extend(): void {
    const base = Math.max(hlc.last().wallMs, Math.floor(components.wallClock()));
    write({ wallMs: base + leaseMs, logical: 0 });
  }

  extend();
  let cancel: (() => void) | undefined;
  const tick = (): void => {
    if (closed) return;
    // Renew only when the clock is being used (its wall part is near the lease); an idle node writes nothing.
    if (hlc.last().wallMs > leaseWall - leaseMs / 2) {
      try {
        extend();
      } catch {
        // A failed renewal is retried; `now` renews synchronously (and throws) before it would exceed the lease.
      }
    }
    cancel = components.setTimer(Math.max(5, Math.floor(leaseMs / 4)), tick);
  };
  cancel = components.setTimer(Math.max(5, Math.floor(leaseMs / 4)), tick);

  return {
    hlc,
    now() {
      const ts = hlc.now();
      if (ts.wallMs >= leaseWall) extend(); // rare: a burst outran the timer, or a remote dot raised the clock
      return ts;
    },
    observe(ts) {
      return hlc.observe(ts);
    },
    lease: () => leasePacked,
    renewals: () => renewals,
    close() {
      if (closed) return;
      closed = true;
      cancel?.();
      // Everything issued is ≤ last(): the exact mark is a valid (smaller) lease.
      write(hlc.last());
    },
  };
}
