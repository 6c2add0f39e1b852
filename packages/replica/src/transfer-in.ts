/**
 * Incoming transfers: reassembles `sync` chunks into the bytes of one snapshot or repair, under bounds.
 *
 * Trust boundary: chunks are untrusted. A transfer must start at chunk 0, continue in order (a connection delivers
 * in order), keep the `count`/`total`/`kind`/`name` it started with, never exceed its declared `total`, and finish
 * with exactly `total` bytes. Declared totals are reserved up front against `bytesMax` per transfer and
 * `bytesInFlightMax` overall, and the number of open transfers is bounded overall and per peer, so a peer cannot
 * make us hold more than the bounds whatever it sends. A transfer idle for `timeoutMs` is dropped.
 */
import type { ErrorInfo, NodeId, Result, Timers } from './ports.js';
import type { SyncBody, TransferKind } from './messages.js';
import { ReplicaErrorCode, fail } from './errors.js';

/** Bounds of the incoming side. */
export interface TransferInInit {
  bytesMax: number;
  bytesInFlightMax: number;
  transfersMax: number;
  transfersPerPeerMax: number;
  timeoutMs: number;
}

/** A finished transfer. */
export interface CompletedTransfer {
  name: string;
  kind: TransferKind;
  bytes: Uint8Array;
}

/** Counters of the incoming side. */
export interface TransferInStats {
  transfersCompleted: number;
  transfersRejected: number;
  transfersTimedOut: number;
  chunksReceived: number;
  bytesReceived: number;
}

interface Incoming {
  name: string;
  kind: TransferKind;
  count: number;
  total: number;
  parts: Uint8Array[];
  received: number;
  cancelTimeout: () => void;
}

/** The incoming transfer reassembler. */
export interface TransferIn {
  /** Take one chunk; `value` is the completed transfer when this chunk finished one. */
  onChunk(from: NodeId, chunk: SyncBody): Result<CompletedTransfer | undefined>;
  /** Forget `peer`'s open transfers (its connection ended). */
  dropPeer(peer: NodeId): void;
  /** Transfers open. */
  open(): number;
  stats(): TransferInStats;
  close(): void;
}

/** Create the reassembler; `onTimeout` hears about transfers dropped for stalling. */
export function createTransferIn(
  init: TransferInInit,
  components: { timers: Timers; onTimeout?(from: NodeId, name: string, error: ErrorInfo): void },
): TransferIn {
  const open = new Map<NodeId, Map<number, Incoming>>();
  let openCount = 0;
  let reserved = 0;
  const stats: TransferInStats = { transfersCompleted: 0, transfersRejected: 0, transfersTimedOut: 0, chunksReceived: 0, bytesReceived: 0 };

  function remove(from: NodeId, xfer: number, t: Incoming): void {
    t.cancelTimeout();
    const mine = open.get(from);
    if (mine?.delete(xfer) !== true) return;
    if (mine.size === 0) open.delete(from);
    openCount--;
    reserved -= t.total;
  }

  function armTimeout(from: NodeId, xfer: number, name: string): () => void {
    return components.timers.setTimer(init.timeoutMs, () => {
      const t = open.get(from)?.get(xfer);
      if (t === undefined) return;
      remove(from, xfer, t);
      stats.transfersTimedOut++;
      components.onTimeout?.(from, name, {
        code: ReplicaErrorCode.transferTimeout,
        message: `transfer of ${name} from ${from} stalled for ${init.timeoutMs} ms`,
      });
    });
  }

  function reject(code: ReplicaErrorCode, message: string): Result<never> {
    stats.transfersRejected++;
    return fail(code, message);
  }

  return {
    onChunk(from, c) {
      stats.chunksReceived++;
      stats.bytesReceived += c.chunk.length;
      const t = open.get(from)?.get(c.xfer);
      if (t === undefined) {
        if (c.index !== 0) return reject(ReplicaErrorCode.chunkMismatch, `chunk ${c.index} of an unknown transfer ${c.xfer}`);
        if (c.total > init.bytesMax) return reject(ReplicaErrorCode.transferTooLarge, `transfer of ${c.total} bytes exceeds ${init.bytesMax}`);
        // Every chunk but an empty single one carries at least one byte, so count is bounded by total.
        if (c.count > Math.max(1, c.total)) return reject(ReplicaErrorCode.malformed, `transfer of ${c.total} bytes cannot have ${c.count} chunks`);
        if (c.chunk.length > c.total) return reject(ReplicaErrorCode.chunkMismatch, 'chunk larger than its transfer');
        if (c.count === 1) {
          if (c.chunk.length !== c.total) return reject(ReplicaErrorCode.chunkMismatch, `single chunk of ${c.chunk.length} bytes, declared ${c.total}`);
          stats.transfersCompleted++;
          return { ok: true, value: { name: c.name, kind: c.kind, bytes: c.chunk } };
        }
        if (openCount >= init.transfersMax || (open.get(from)?.size ?? 0) >= init.transfersPerPeerMax) {
          return reject(ReplicaErrorCode.transferBusy, `too many transfers in flight (from ${from})`);
        }
        if (reserved + c.total > init.bytesInFlightMax) {
          return reject(ReplicaErrorCode.transferBusy, `transfers in flight would exceed ${init.bytesInFlightMax} bytes`);
        }
        reserved += c.total;
        openCount++;
        let mine = open.get(from);
        if (mine === undefined) {
          mine = new Map();
          open.set(from, mine);
        }
        mine.set(c.xfer, {
          name: c.name,
          kind: c.kind,
          count: c.count,
          total: c.total,
          parts: [c.chunk],
          received: c.chunk.length,
          cancelTimeout: armTimeout(from, c.xfer, c.name),
        });
        return { ok: true, value: undefined };
      }
      if (c.name !== t.name || c.kind !== t.kind || c.count !== t.count || c.total !== t.total || c.index !== t.parts.length) {
        remove(from, c.xfer, t);
        return reject(ReplicaErrorCode.chunkMismatch, `chunk ${c.index} does not continue transfer ${c.xfer}`);
      }
      if (t.received + c.chunk.length > t.total) {
        remove(from, c.xfer, t);
        return reject(ReplicaErrorCode.chunkMismatch, `transfer ${c.xfer} exceeds its declared ${t.total} bytes`);
      }
      t.parts.push(c.chunk);
      t.received += c.chunk.length;
      t.cancelTimeout();
      if (t.parts.length < t.count) {
        t.cancelTimeout = armTimeout(from, c.xfer, t.name);
        return { ok: true, value: undefined };
      }
      remove(from, c.xfer, t);
      if (t.received !== t.total) return reject(ReplicaErrorCode.chunkMismatch, `transfer ${c.xfer} ended at ${t.received} of ${t.total} bytes`);
      const bytes = new Uint8Array(t.total);
      let at = 0;
      for (const p of t.parts) {
        bytes.set(p, at);
        at += p.length;
      }
      stats.transfersCompleted++;
      return { ok: true, value: { name: t.name, kind: t.kind, bytes } };
    },
    dropPeer(peer) {
      for (const [xfer, t] of [...(open.get(peer) ?? [])]) remove(peer, xfer, t);
    },
    open: () => openCount,
    stats: () => ({ ...stats }),
    close() {
      for (const mine of open.values()) for (const t of mine.values()) t.cancelTimeout();
      open.clear();
      openCount = 0;
      reserved = 0;
    },
  };
}
