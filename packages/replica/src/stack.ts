/**
 * The stack: one carrier under HyParView membership, Plumtree broadcast and the replica driver, wired as
 * docs/architecture.md "How the layers plug together" describes.
 *
 * The stack is the carrier's single listener. Link events (`up`, `down`, `connectFailed`) go to membership; `drain`
 * goes to broadcast and the driver; each envelope goes to the layer it names, as `(from, type, body)` — an envelope
 * with an unknown protocol version or layer is counted and dropped. Membership's `peerUp`/`peerDown` feed
 * broadcast and the driver; broadcast's deliveries feed the driver. Broadcast and the driver send only to peers
 * membership reported up: the replica sender answers `closed` for any other peer.
 */
import { createHyParView, type HyParView, type HyParViewInit, type HyParViewStats, type NodeEntry } from '@rumor/membership';
import { createPlumtree, type Plumtree, type PlumtreeInit, type PlumtreeStats } from '@rumor/broadcast';
import type { Carrier, Envelope, Logger, NodeId, Random, ReplicaEvents, SendResult, Timers } from './ports.js';
import { createReplicaDriver, type ReplicaDriver, type ReplicaDriverInit, type ReplicaDriverStats } from './driver.js';

/** The protocol version the stack speaks (the envelope's `v`). */
export const STACK_PROTOCOL_VERSION = 1;

/** What `createStack` needs: the carrier and ports, plus each layer's tunables (all optional). */
export interface StackOptions {
  /** The stack becomes its single listener. */
  carrier: Carrier;
  timers: Timers;
  random: Random;
  membership?: HyParViewInit;
  broadcast?: PlumtreeInit;
  replica?: ReplicaDriverInit;
  log?: Logger;
  /** Replica events (callback errors, invalid payloads). */
  events?: ReplicaEvents;
}

/** Counters of the whole stack. */
export interface StackStats {
  /** Envelopes dropped by the stack itself, by reason: `version`, `layer`. */
  rejected: { version: number; layer: number };
  membership: HyParViewStats;
  broadcast: PlumtreeStats;
  replica: ReplicaDriverStats;
}

/** A node's protocol stack. */
export interface Stack {
  readonly self: NodeId;
  readonly membership: HyParView;
  readonly broadcast: Plumtree;
  /** The replica driver: `createReplica` instances here. */
  readonly replicas: ReplicaDriver;
  /** Join the overlay through any of `contacts` (carrier addresses). */
  /** Join the overlay (HyParView `join`): through `contacts`, trying the `known` members first. */
  join(contacts: readonly string[], known?: readonly NodeEntry[]): void;
  stats(): StackStats;
  /** Close the driver, broadcast and membership (which says goodbye to its peers), then the carrier. */
  close(): Promise<void>;
}

/** Wire a carrier to membership, broadcast and a replica driver. */
export function createStack(options: StackOptions): Stack {
  const { carrier, timers, random, log } = options;
  const self = carrier.self;
  const rejected = { version: 0, layer: 0 };
  let closed = false;

  const sender =
    (layer: Envelope['layer']) =>
    (peer: NodeId, type: string, body: unknown): SendResult =>
      carrier.send(peer, { v: STACK_PROTOCOL_VERSION, layer, type, body });
  const sendBroadcast = sender('broadcast');
  const sendReplica = sender('replica');

  // Layers reference each other through these bindings; events only flow once `join` or the carrier starts them.
  let broadcast: Plumtree | undefined;
  let driver: ReplicaDriver | undefined;

  const membership = createHyParView(options.membership ?? {}, {
    self,
    address: carrier.address,
    connect: (address) => carrier.connect(address),
    disconnect: (peer) => carrier.disconnect(peer),
    send: sender('membership'),
    timers,
    random,
    log,
    events: {
      peerUp(peer) {
        broadcast?.onPeerUp(peer);
        driver?.onPeerUp(peer);
      },
      peerDown(peer, reason) {
        broadcast?.onPeerDown(peer);
        driver?.onPeerDown(peer, reason);
      },
    },
  });
  const isActive = (peer: NodeId): boolean => membership.activeView().includes(peer);

  broadcast = createPlumtree(options.broadcast ?? {}, {
    self,
    send: sendBroadcast,
    timers,
    random,
    log,
    deliver: (tag, payload, meta) => driver?.onDeliver(tag, payload, meta.origin) ?? true,
  });

  driver = createReplicaDriver(options.replica ?? {}, {
    self,
    broadcast: (tag, payload) => broadcast!.broadcast(tag, payload),
    send: (peer, type, body) => (isActive(peer) ? sendReplica(peer, type, body) : 'closed'),
    timers,
    random,
    activePeers: () => membership.activeView(),
    log,
    events: options.events,
  });

  carrier.listen({
    up: (peer, address) => membership.onLinkUp(peer, address),
    down: (peer, reason) => membership.onLinkDown(peer, reason),
    connectFailed: (address, reason) => membership.onConnectFailed(address, reason),
    drain(peer) {
      broadcast!.onDrain(peer);
      driver!.onDrain(peer);
    },
    message(peer, envelope) {
      if (closed) return;
      if (envelope.v !== STACK_PROTOCOL_VERSION) {
        rejected.version++;
        return;
      }
      switch (envelope.layer) {
        case 'membership':
          return membership.onMessage(peer, envelope.type, envelope.body);
        case 'broadcast':
          return broadcast!.onMessage(peer, envelope.type, envelope.body);
        case 'replica':
          return driver!.onMessage(peer, envelope.type, envelope.body);
        default:
          rejected.layer++;
      }
    },
  });

  return {
    self,
    membership,
    broadcast,
    replicas: driver,
    join: (contacts, known) => membership.join(contacts, known),
    stats: () => ({ rejected: { ...rejected }, membership: membership.stats(), broadcast: broadcast!.stats(), replica: driver!.stats() }),
    async close() {
      if (closed) return;
      driver!.close();
      broadcast!.close();
      membership.close();
      closed = true;
      await carrier.close();
    },
  };
}
