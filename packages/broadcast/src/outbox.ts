/**
 * Per-peer outbound queues that respect carrier backpressure (issue 5: "nothing is dropped silently").
 *
 * A message goes straight to the carrier while the peer's queue is empty. When the carrier answers
 * `backpressure`, that message and every later one to the same peer wait here, in order, until `drain(peer)`; the
 * queue is bounded (`sendQueueMax`), and what does not fit is reported to the caller, who turns a refused GOSSIP
 * into an announcement (lazy repair) and counts the rest. `closed` means the connection is gone: membership will
 * report the peer down, and the caller counts the loss. Invariant: a queue is non-empty only while the carrier
 * has refused its head.
 */
import type { NodeId, SendResult } from './ports.js';

/** What happened to one message handed to the outbox. */
export type OutboxOutcome = 'sent' | 'queued' | 'full' | 'closed';

/** Bounded per-peer queues in front of the carrier. */
export interface Outbox {
  send(peer: NodeId, type: string, body: unknown): OutboxOutcome;
  /** The carrier has room for `peer` again: send queued messages until it refuses or the queue is empty. */
  drain(peer: NodeId): void;
  /** Forget `peer`'s queue (peer down, close); returns how many messages were discarded. */
  discard(peer: NodeId): number;
  /** Messages waiting, over all peers. */
  readonly queued: number;
}

/** Hooks an outbox reports through, so the state machine can count per type. */
export interface OutboxHooks {
  carrier(peer: NodeId, type: string, body: unknown): SendResult;
  accepted(type: string): void;
  backpressure(peer: NodeId): void;
  /** Messages lost because the connection was closed while they waited. */
  lostOnClose(count: number): void;
}

/** Creates an outbox holding at most `max` messages per peer. */
export function createOutbox(max: number, hooks: OutboxHooks): Outbox {
  const queues = new Map<NodeId, { type: string; body: unknown }[]>();
  let queued = 0;

  return {
    send(peer, type, body) {
      const q = queues.get(peer);
      if (q !== undefined) {
        if (q.length >= max) return 'full';
        q.push({ type, body });
        queued++;
        return 'queued';
      }
      const r = hooks.carrier(peer, type, body);
      if (r === 'accepted') {
        hooks.accepted(type);
        return 'sent';
      }
      if (r === 'closed') return 'closed';
      hooks.backpressure(peer);
      if (max === 0) return 'full';
      queues.set(peer, [{ type, body }]);
      queued++;
      return 'queued';
    },
    drain(peer) {
      const q = queues.get(peer);
      if (q === undefined) return;
      let i = 0;
      for (; i < q.length; i++) {
        const m = q[i] as { type: string; body: unknown };
        const r = hooks.carrier(peer, m.type, m.body);
        if (r === 'accepted') {
          hooks.accepted(m.type);
          continue;
        }
        if (r === 'backpressure') {
          hooks.backpressure(peer);
          break;
        }
        // closed: what is left cannot be delivered on this connection.
        hooks.lostOnClose(q.length - i);
        queued -= q.length;
        queues.delete(peer);
        return;
      }
      queued -= i;
      if (i >= q.length) queues.delete(peer);
      else q.splice(0, i);
    },
    discard(peer) {
      const q = queues.get(peer);
      if (q === undefined) return 0;
      queues.delete(peer);
      queued -= q.length;
      return q.length;
    },
    get queued() {
      return queued;
    },
  };
}
