/**
 * Peer up/down events for the node, with the membership's reason.
 *
 * The stack routes membership's `peerUp`/`peerDown` only to broadcast and the replica driver, so the node listens
 * the way any replica owner can: through a silent instance (`rumor.node`). The driver calls `fullSyncSnapshot` on
 * every `peer up` (and on a peer's `sync-request`, which no node sends for this instance: it neither pulls on
 * start nor runs anti-entropy) and `removeNode` on every `peer down`, with the reason. The instance sends nothing:
 * its snapshot is always `undefined`, it has no deltas.
 */
import type { NodeId, PeerDownReason, Replica, ReplicaDriver } from '@rumor/replica';

/** Name of the node's own instance. */
export const PEER_WATCH_INSTANCE = 'rumor.node';

/** Listeners of the watch. */
export interface PeerWatchEvents {
  up(peer: NodeId): void;
  down(peer: NodeId, reason: PeerDownReason): void;
}

/** Create the silent instance on `driver`; returns it (close it with the driver). */
export function watchPeers(driver: ReplicaDriver, events: PeerWatchEvents): Replica {
  const up = new Set<NodeId>();
  return driver.createReplica({
    name: PEER_WATCH_INSTANCE,
    pullOnStart: false,
    antiEntropyIntervalMs: 0,
    callbacks: {
      mergeDelta() {},
      applyFullSync() {},
      fullSyncSnapshot(_name, to) {
        if (!up.has(to)) {
          up.add(to);
          events.up(to);
        }
        return undefined;
      },
      removeNode(_name, node, reason) {
        up.delete(node);
        events.down(node, reason);
      },
    },
  });
}
