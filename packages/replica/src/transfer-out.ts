/**
 * Outgoing transfers: a snapshot or repair, already encoded to bytes, sent to one peer as `sync` chunks of at most
 * the instance's `chunkBytes` each (design §3: "large snapshots travel in bounded chunks").
 *
 * Per peer, one transfer is on the wire at a time and the rest wait in a bounded FIFO, so chunks of a transfer stay
 * contiguous and memory is bounded. Carrier backpressure pauses the pump until `drain` (or a retry timer as a
 * backstop); a `closed` link drops that peer's transfers — the next `peer up` pushes a fresh snapshot anyway. A
 * newer full snapshot of an instance replaces a queued, not yet started one for the same peer.
 */
import type { NodeId, SendResult, Timers } from './ports.js';
import type { SyncBody, TransferKind } from './messages.js';
import { DirectType } from './messages.js';

/** Tunables of the outgoing side. */
export interface TransferOutInit {
  /** Transfers queued per peer (including the one being sent). */
  queuedPerPeerMax: number;
  /** Retry a chunk refused by backpressure after this long if no `drain` came. */
  retryMs: number;
}

/** Counters of the outgoing side. */
export interface TransferOutStats {
  transfersStarted: number;
  transfersCompleted: number;
  transfersDropped: number;
  chunksSent: number;
  bytesSent: number;
  backpressured: number;
}

interface Outgoing {
  name: string;
  kind: TransferKind;
  xfer: number;
  bytes: Uint8Array;
  chunkBytes: number;
  count: number;
  next: number;
}

interface PeerQueue {
  transfers: Outgoing[];
  cancelRetry: (() => void) | undefined;
}

/** The outgoing transfer pump. */
export interface TransferOut {
  /** Queue `bytes` for `peer`; false when the peer's queue is full (counted as dropped). */
  start(peer: NodeId, name: string, kind: TransferKind, bytes: Uint8Array, chunkBytes: number): boolean;
  /** The carrier has room for `peer` again. */
  onDrain(peer: NodeId): void;
  /** Drop everything queued for `peer`. */
  dropPeer(peer: NodeId): void;
  /** Drop everything queued for instance `name`. */
  dropInstance(name: string): void;
  /** Transfers queued or in progress. */
  pending(): number;
  stats(): TransferOutStats;
  close(): void;
}

/** Create the outgoing transfer pump over a layer-scoped sender. */
export function createTransferOut(
  init: TransferOutInit,
  components: { send(peer: NodeId, type: string, body: unknown): SendResult; timers: Timers },
): TransferOut {
  const peers = new Map<NodeId, PeerQueue>();
  let nextXfer = 0;
  const stats: TransferOutStats = {
    transfersStarted: 0,
    transfersCompleted: 0,
    transfersDropped: 0,
    chunksSent: 0,
    bytesSent: 0,
    backpressured: 0,
  };

  function drop(peer: NodeId): void {
    const q = peers.get(peer);
    if (q === undefined) return;
    q.cancelRetry?.();
    stats.transfersDropped += q.transfers.length;
    peers.delete(peer);
  }

  function pump(peer: NodeId): void {
    const q = peers.get(peer);
    if (q === undefined) return;
    q.cancelRetry?.();
    q.cancelRetry = undefined;
    while (q.transfers.length > 0) {
      const t = q.transfers[0]!;
      while (t.next < t.count) {
        const start = t.next * t.chunkBytes;
        const chunk = t.bytes.subarray(start, Math.min(start + t.chunkBytes, t.bytes.length));
        const body: SyncBody = { name: t.name, xfer: t.xfer, kind: t.kind, index: t.next, count: t.count, total: t.bytes.length, chunk };
        const r = components.send(peer, DirectType.sync, body);
        if (peers.get(peer) !== q) return; // dropped re-entrantly while sending
        if (r === 'closed') {
          drop(peer);
          return;
        }
        if (r === 'backpressure') {
          stats.backpressured++;
          q.cancelRetry = components.timers.setTimer(init.retryMs, () => {
            q.cancelRetry = undefined;
            pump(peer);
          });
          return;
        }
        t.next++;
        stats.chunksSent++;
        stats.bytesSent += chunk.length;
      }
      q.transfers.shift();
      stats.transfersCompleted++;
    }
    peers.delete(peer);
  }

  return {
    start(peer, name, kind, bytes, chunkBytes) {
      let q = peers.get(peer);
      if (q === undefined) {
        q = { transfers: [], cancelRetry: undefined };
        peers.set(peer, q);
      }
      const count = Math.max(1, Math.ceil(bytes.length / chunkBytes));
      const t: Outgoing = { name, kind, xfer: nextXfer++, bytes, chunkBytes, count, next: 0 };
      if (kind === 'full') {
        // A fresher full snapshot supersedes a queued one of the same instance that has not started yet.
        const i = q.transfers.findIndex((o, j) => j > 0 && o.kind === 'full' && o.name === name);
        if (i > 0) {
          q.transfers[i] = t;
          stats.transfersStarted++;
          stats.transfersDropped++;
          return true;
        }
      }
      if (q.transfers.length >= init.queuedPerPeerMax) {
        stats.transfersDropped++;
        if (q.transfers.length === 0) peers.delete(peer);
        return false;
      }
      q.transfers.push(t);
      stats.transfersStarted++;
      if (q.transfers.length === 1 && q.cancelRetry === undefined) pump(peer);
      return true;
    },
    onDrain(peer) {
      if (peers.has(peer)) pump(peer);
    },
    dropPeer: drop,
    dropInstance(name) {
      for (const [peer, q] of peers) {
        // The transfer on the wire is finished rather than cut, so the peer's reassembler is not left dangling.
        const keep = q.transfers.filter((t, i) => t.name !== name || (i === 0 && t.next > 0));
        stats.transfersDropped += q.transfers.length - keep.length;
        q.transfers = keep;
        if (keep.length === 0) {
          q.cancelRetry?.();
          peers.delete(peer);
        }
      }
    },
    pending() {
      let n = 0;
      for (const q of peers.values()) n += q.transfers.length;
      return n;
    },
    stats: () => ({ ...stats }),
    close() {
      for (const peer of [...peers.keys()]) drop(peer);
    },
  };
}
