/**
 * The direct dissemination model: every node keeps a connection to every other node of the cluster and
 * broadcasts a delta by sending it to each connected peer (a send the network's faults may drop). Full sync is
 * pushed to a peer on `up` (design §5) and pulled periodically from one random peer as anti-entropy, so replicas
 * whose merge is a join converge once the network heals — whatever the deltas lost on the way.
 *
 * Messages use the replica layer's names (`delta`, `sync-request`, `sync`) in an envelope; a message from the
 * network is untrusted, so a malformed one is counted and dropped, never thrown.
 */
import type { PeerDownReason, ReplicaCallbacks } from '@rumor/replica';
import type { Envelope, NodeId } from '../ports.js';
import type { SimNode } from '../simulation.js';
import type { Dissemination, DisseminationContext, DisseminationNode } from './dissemination.js';

/** Tunables of the direct model. */
export interface DirectDisseminationInit {
  /** Delay before re-dialling a peer after `down` or `connectFailed`. Default 500 ms. */
  reconnectMs?: number;
  /** Period of the anti-entropy pull, jittered ±25 %. Default 1000 ms; 0 turns it off. */
  antiEntropyMs?: number;
}

/** Counters of one direct-model node (rejected = malformed messages dropped). */
export interface DirectNodeStats {
  sent: number;
  unsent: number;
  rejected: number;
}

type Body = { name: string; payload?: unknown };

function isBody(b: unknown): b is Body {
  return typeof b === 'object' && b !== null && typeof (b as Body).name === 'string';
}

/** The direct all-to-all model (see the module comment). */
export function createDirectDissemination(init: DirectDisseminationInit = {}): Dissemination {
  const reconnectMs = init.reconnectMs ?? 500;
  const antiEntropyMs = init.antiEntropyMs ?? 1000;
  return {
    name: 'direct',
    start(node: SimNode, cb: ReplicaCallbacks<unknown, unknown, unknown>, ctx: DisseminationContext): DisseminationNode {
      const carrier = node.carrier;
      const { instance, track } = ctx;
      const connected = new Set<NodeId>();
      const addressOf = new Map<NodeId, string>();
      const stats: DirectNodeStats = { sent: 0, unsent: 0, rejected: 0 };
      const send = (peer: NodeId, type: string, payload: unknown) => {
        const env: Envelope = { v: 1, layer: 'replica', type, body: { name: instance, payload } };
        if (carrier.send(peer, env) === 'accepted') stats.sent++;
        else stats.unsent++; // backpressure or closed: anti-entropy repairs what is lost
      };
      const sendSnapshot = (peer: NodeId) => {
        const snap = cb.fullSyncSnapshot(instance, peer);
        if (snap instanceof Promise) track(snap.then((s) => s !== undefined && send(peer, 'sync', s)));
        else if (snap !== undefined) send(peer, 'sync', snap);
      };
      const redial = (address: string) => {
        node.timers.setTimer(reconnectMs * (0.75 + 0.5 * node.random.next()), () => carrier.connect(address));
      };
      carrier.listen({
        up(peer, address) {
          connected.add(peer);
          addressOf.set(peer, address);
          sendSnapshot(peer);
        },
        down(peer, reason) {
          connected.delete(peer);
          const why: PeerDownReason = reason === 'closed' ? 'left' : 'failed';
          track(cb.removeNode(instance, peer, why));
          const address = addressOf.get(peer);
          if (address !== undefined) redial(address);
        },
        connectFailed(address) {
          redial(address);
        },
        drain() {},
        message(peer, env) {
          const body = env?.body;
          if (env?.layer !== 'replica' || !isBody(body) || body.name !== instance) {
            stats.rejected++;
            return;
          }
          switch (env.type) {
            case 'delta':
              track(cb.mergeDelta(instance, body.payload, peer));
              return;
            case 'sync':
              track(cb.applyFullSync(instance, body.payload, peer));
              return;
            case 'sync-request':
              sendSnapshot(peer);
              return;
            default:
              stats.rejected++;
          }
        },
      });
      for (const address of ctx.addresses) if (address !== node.address) carrier.connect(address);
      // Anti-entropy as the driver does it: only when the callbacks ask for it (digest hooks: full pull here).
      if (antiEntropyMs > 0 && cb.antiEntropy) {
        const tick = () => {
          if (connected.size > 0) {
            const peers = [...connected];
            send(peers[Math.floor(node.random.next() * peers.length)]!, 'sync-request', null);
          }
          node.timers.setTimer(antiEntropyMs * (0.75 + 0.5 * node.random.next()), tick);
        };
        node.timers.setTimer(antiEntropyMs * (0.75 + 0.5 * node.random.next()), tick);
      }
      return {
        broadcastUpdate(delta) {
          for (const peer of connected) send(peer, 'delta', delta);
        },
      };
    },
  };
}
