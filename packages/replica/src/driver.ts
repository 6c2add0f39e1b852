/**
 * The replica driver (design §5): one per node, many named instances on it, all sharing one broadcast bus.
 *
 * It is the replica layer's message router — inputs from membership (`onPeerUp`/`onPeerDown`), from broadcast
 * (`onDeliver`, gossip of `delta`/`custom` on an instance's tag) and from the carrier (`onMessage`, the direct
 * `sync-request`, `sync`, `ae-digest`, `ae-step`; `onDrain`) — and the owner of what instances share: the outgoing
 * transfer pump, the incoming reassembler and the per-peer count of invalid input. A pure state machine: it reads
 * time, randomness and the network only through the ports in ports.ts.
 *
 * Trust boundary: every direct message and every gossip payload is untrusted; it is shape-checked here
 * (messages.ts), bounded (transfer-in.ts), decoded by the bounded codec and validated by the instance before any
 * callback sees it. Rejections are counted by code and per peer and reported; nothing a peer sends throws out of
 * an input handler.
 */
import { decode as wireDecode, encode as wireEncode, type CodecLimits } from '@rumor/crdt-wire';
import type { NodeId, PeerDownReason } from './callbacks.js';
import type { CallbackName, Codec, ErrorInfo, ReplicaComponents } from './ports.js';
import type { InstanceHandlers, Replica, ReplicaInit, ReplicaStats } from './instance.js';
import type { TransferInStats } from './transfer-in.js';
import type { TransferOutStats } from './transfer-out.js';
import { createInstance } from './instance.js';
import { createTransferIn } from './transfer-in.js';
import { createTransferOut } from './transfer-out.js';
import { DirectType, parseAeDigest, parseAeStep, parseGossip, parseSync, parseSyncRequest, validName } from './messages.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';

/** Tunables shared by every instance on a driver; each has a default. */
export interface ReplicaDriverInit {
  /** Bytes per `sync` chunk sent (an instance may override). Default 65 536. */
  chunkBytes?: number;
  /** Largest `sync` chunk accepted. Default 262 144 (the codec's default `binBytesMax`). */
  chunkBytesMax?: number;
  /** Largest snapshot or repair accepted, in encoded bytes. Default 67 108 864 (64 MiB). */
  syncBytesMax?: number;
  /** Declared bytes of all incoming transfers in flight. Default 134 217 728 (128 MiB). */
  syncBytesInFlightMax?: number;
  /** Incoming transfers in flight. Default 16. */
  syncTransfersMax?: number;
  /** Incoming transfers in flight from one peer. Default 4. */
  syncTransfersPerPeerMax?: number;
  /** An incoming transfer with no chunk for this long is dropped. Default 30 000. */
  syncTimeoutMs?: number;
  /** Outgoing transfers queued per peer. Default 16. */
  transfersQueuedPerPeerMax?: number;
  /** Retry a chunk refused by backpressure after this long when no `drain` came. Default 250. */
  sendRetryMs?: number;
  /** Longest instance name, in UTF-8 bytes (the broadcast layer's tag bound). Default 128. */
  nameBytesMax?: number;
  /** Peers whose invalid-input counts are kept (oldest forgotten first). Default 1 024. */
  invalidPeersMax?: number;
  /**
   * Bounds of the default codec for decoding gossip payloads, snapshots and repairs. Default: crdt-wire's defaults
   * with `frameBytesMax` and `entriesMax` raised to `syncBytesMax`.
   */
  codecLimits?: CodecLimits;
}

/** Counters of a driver and of each of its instances. */
export interface ReplicaDriverStats {
  instances: number;
  /** Direct messages received, by type. */
  received: Record<string, number>;
  /** Input refused, by stable code (docs/errors.md `## replica`). */
  rejected: Record<string, number>;
  /** Invalid input per peer. */
  invalidByPeer: Record<string, number>;
  callbackErrors: number;
  transfersOut: TransferOutStats;
  transfersIn: TransferInStats;
  replicas: ReplicaStats[];
}

/** The replica driver of one node. */
export interface ReplicaDriver {
  /** Start an instance; throws a `ReplicaError` on a bad or duplicate name (programmer errors). */
  createReplica<Delta = unknown, Snapshot = unknown, Custom = unknown>(init: ReplicaInit<Delta, Snapshot, Custom>): Replica<Delta, Custom>;
  /** The running instance called `name`. */
  replica(name: string): Replica | undefined;
  /** Names of the running instances. */
  names(): string[];
  /** Membership reported `peer` up: every instance pushes its full snapshot to it. */
  onPeerUp(peer: NodeId): void;
  /** Membership reported `peer` down: transfers with it are dropped, every instance's `removeNode` runs. */
  onPeerDown(peer: NodeId, reason: PeerDownReason): void;
  /**
   * Broadcast delivered a replica payload on `tag` from its `origin`. Returns false when the payload is invalid,
   * so broadcast does not relay it; a tag with no instance here is relayed (other nodes may run it).
   */
  onDeliver(tag: string, payload: Uint8Array, origin: NodeId): boolean;
  /** A direct replica-layer message; `type` and `body` are untrusted. Never throws. */
  onMessage(from: NodeId, type: string, body: unknown): void;
  /** The carrier has room for `peer` again. */
  onDrain(peer: NodeId): void;
  stats(): ReplicaDriverStats;
  /** Close every instance and drop every transfer. */
  close(): void;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(DirectType));

/** The default codec: crdt-wire's bounded msgpack codec under `limits`. */
export function createWireCodec(limits: CodecLimits): Codec {
  return { encode: (value) => wireEncode(value, limits), decode: (bytes) => wireDecode(bytes, limits) };
}

/** Create a replica driver. */
export function createReplicaDriver(init: ReplicaDriverInit, components: ReplicaComponents): ReplicaDriver {
  const syncBytesMax = init.syncBytesMax ?? 64 * 1024 * 1024;
  const chunkBytes = init.chunkBytes ?? 64 * 1024;
  const limits = {
    nameBytesMax: init.nameBytesMax ?? 128,
    chunkBytesMax: init.chunkBytesMax ?? 256 * 1024,
  };
  const codec = components.codec ?? createWireCodec(init.codecLimits ?? { frameBytesMax: syncBytesMax, entriesMax: syncBytesMax });
  const invalidPeersMax = init.invalidPeersMax ?? 1024;
  const instances = new Map<string, InstanceHandlers>();
  const received: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const invalidByPeer = new Map<NodeId, number>();
  let callbackErrors = 0;
  let closed = false;

  const transferOut = createTransferOut(
    { queuedPerPeerMax: init.transfersQueuedPerPeerMax ?? 16, retryMs: init.sendRetryMs ?? 250 },
    { send: components.send, timers: components.timers },
  );
  const transferIn = createTransferIn(
    {
      bytesMax: syncBytesMax,
      bytesInFlightMax: init.syncBytesInFlightMax ?? 128 * 1024 * 1024,
      transfersMax: init.syncTransfersMax ?? 16,
      transfersPerPeerMax: init.syncTransfersPerPeerMax ?? 4,
      timeoutMs: init.syncTimeoutMs ?? 30_000,
    },
    { timers: components.timers, onTimeout: (_from, _name, error) => count(error.code) },
  );

  function count(code: string): void {
    rejected[code] = (rejected[code] ?? 0) + 1;
  }

  /** Count a rejection against a peer and tell the `invalid` listener. */
  function reportInvalid(name: string | undefined, from: NodeId, kind: string, error: ErrorInfo): void {
    count(error.code);
    const n = (invalidByPeer.get(from) ?? 0) + 1;
    invalidByPeer.delete(from); // re-insert: the map's order is least recently blamed first
    invalidByPeer.set(from, n);
    if (invalidByPeer.size > invalidPeersMax) invalidByPeer.delete(invalidByPeer.keys().next().value!);
    try {
      components.events?.invalid?.({ name, from, kind, error });
    } catch {
      // An event sink must not throw; if it does, the driver does not let it break message handling.
    }
  }

  const ctx = {
    self: components.self,
    broadcast: components.broadcast,
    send: components.send,
    timers: components.timers,
    random: components.random,
    activePeers: components.activePeers,
    codec,
    transferOut,
    chunkBytes,
    reportInvalid,
    reportCallbackError(name: string, callback: CallbackName, error: ErrorInfo, cause: unknown) {
      callbackErrors++;
      count(error.code);
      components.log?.warn?.('replica callback failed', { name, callback, code: error.code, message: error.message });
      try {
        components.events?.callbackError?.({ name, callback, error, cause });
      } catch {
        // As above: a throwing sink is ignored.
      }
    },
    onClose(name: string) {
      instances.delete(name);
    },
  };

  /** Look up the instance a direct message names; an unknown one is counted, not blamed (it may start later). */
  function instanceFor(name: string): InstanceHandlers | undefined {
    const inst = instances.get(name);
    if (inst === undefined) count(ReplicaErrorCode.unknownInstance);
    return inst;
  }

  function onSync(from: NodeId, body: unknown): void {
    const parsed = parseSync(body, limits);
    if (!parsed.ok) return reportInvalid(undefined, from, DirectType.sync, parsed.error);
    if (instanceFor(parsed.value.name) === undefined) return;
    const r = transferIn.onChunk(from, parsed.value);
    if (!r.ok) {
      // Being busy is our bound, not the peer's fault; everything else is a broken or hostile transfer.
      if (r.error.code === ReplicaErrorCode.transferBusy) count(r.error.code);
      else reportInvalid(parsed.value.name, from, DirectType.sync, r.error);
      return;
    }
    if (r.value === undefined) return;
    instances.get(r.value.name)?.onTransfer(from, r.value.kind, r.value.bytes);
  }

  const driver: ReplicaDriver = {
    createReplica(init) {
      if (closed) throw new ReplicaError(ReplicaErrorCode.closed, 'replica driver is closed');
      if (!validName(init.name, limits.nameBytesMax)) {
        throw new ReplicaError(ReplicaErrorCode.badName, `instance name must be 1..${limits.nameBytesMax} UTF-8 bytes`);
      }
      if (instances.has(init.name)) throw new ReplicaError(ReplicaErrorCode.duplicateName, `instance ${init.name} is already running`);
      const inst = createInstance(init, ctx);
      instances.set(init.name, inst);
      inst.start();
      return inst.replica;
    },
    replica: (name) => instances.get(name)?.replica,
    names: () => [...instances.keys()],
    onPeerUp(peer) {
      if (closed || peer === components.self) return;
      for (const inst of [...instances.values()]) inst.onPeerUp(peer);
    },
    onPeerDown(peer, reason) {
      if (closed) return;
      transferOut.dropPeer(peer);
      transferIn.dropPeer(peer);
      for (const inst of [...instances.values()]) inst.onPeerDown(peer, reason);
    },
    onDeliver(tag, payload, origin) {
      if (closed) return true;
      const inst = instances.get(tag);
      if (inst === undefined) return true;
      const decoded = payload instanceof Uint8Array ? codec.decode(payload) : { ok: false as const, error: { code: ReplicaErrorCode.malformed, message: 'gossip payload is not bytes' } };
      if (!decoded.ok) {
        reportInvalid(tag, origin, 'gossip', { code: ReplicaErrorCode.undecodable, message: decoded.error.message });
        return false;
      }
      const message = parseGossip(decoded.value);
      if (!message.ok) {
        reportInvalid(tag, origin, 'gossip', message.error);
        return false;
      }
      return inst.onGossip(message.value, origin);
    },
    onMessage(from, type, body) {
      if (closed) return;
      try {
        // Only known types are counted by name, so a peer cannot grow this record (or touch `__proto__`).
        if (KNOWN_TYPES.has(type)) received[type] = (received[type] ?? 0) + 1;
        switch (type) {
          case DirectType.syncRequest: {
            const r = parseSyncRequest(body, limits);
            if (!r.ok) return reportInvalid(undefined, from, type, r.error);
            instanceFor(r.value.name)?.onSyncRequest(from);
            return;
          }
          case DirectType.sync:
            return onSync(from, body);
          case DirectType.aeDigest: {
            const r = parseAeDigest(body, limits);
            if (!r.ok) return reportInvalid(undefined, from, type, r.error);
            instanceFor(r.value.name)?.onAeDigest(from, r.value);
            return;
          }
          case DirectType.aeStep: {
            const r = parseAeStep(body, limits);
            if (!r.ok) return reportInvalid(undefined, from, type, r.error);
            instanceFor(r.value.name)?.onAeStep(from, r.value);
            return;
          }
          default:
            reportInvalid(undefined, from, 'unknown', { code: ReplicaErrorCode.unknownType, message: `unknown replica message type` });
        }
      } catch (e) {
        // Defence in depth: the handlers are written not to throw on any input; if one does, the input is refused.
        reportInvalid(undefined, from, type, { code: ReplicaErrorCode.malformed, message: e instanceof Error ? e.message : String(e) });
      }
    },
    onDrain(peer) {
      if (!closed) transferOut.onDrain(peer);
    },
    stats: () => ({
      instances: instances.size,
      received: { ...received },
      rejected: { ...rejected },
      invalidByPeer: Object.fromEntries(invalidByPeer),
      callbackErrors,
      transfersOut: transferOut.stats(),
      transfersIn: transferIn.stats(),
      replicas: [...instances.values()].map((i) => i.replica.stats()),
    }),
    close() {
      if (closed) return;
      for (const inst of [...instances.values()]) inst.close();
      closed = true;
      transferOut.close();
      transferIn.close();
    },
  };
  return driver;
}
