/**
 * The stock replicated map (design §6) over an OR-Map, with the write-ahead log of design §7.
 *
 * A local write: validate → mint the dot and compute the delta on a scratch copy of the touched keys (the live
 * state is not touched yet) → append the record to the log (fsync per policy) → apply to the state → notify
 * subscribers → broadcast. So `put` resolves once the write is durable locally, a read never sees a write the log
 * could still lose (under `always`), and local writes still see each other in order (a later write's context
 * covers the staged earlier ones). Deltas are broadcast in crdt-wire's binary form (`encodeDelta`, wire-format §5.2),
 * the object form only when a batch's delta is too big for one binary value. Remote deltas — either form — repairs
 * and snapshots pass crdt-wire validated ingest (shape, bounds, drift, the user's validator) before the merge; what was accepted is logged (without its own fsync) or,
 * for a full sync, covered by a snapshot. Recovery replays snapshot chunks and records through validated ingest.
 *
 * Guarantees: no acknowledged local write is lost by a crash at any instant (fsync `always` or `batch`), and local
 * writes are acknowledged in issue order — a write that writes nothing (a delete of a missing key) included, so
 * any resolved write vouches for every write issued before it; nothing that fails its checksum or validation is
 * applied; listeners fire only when a key's resolved value changed.
 */
import {
  createIngest,
  encodeDelta,
  utf8Length,
  wireSize,
  NOT_WIRE,
  type Ingest,
  type LeafValidator,
  type Rejection,
} from '@rumor/crdt-wire';
import { pack } from '@rumor/hlc';
import { createORMap, type ResolutionPolicy, type CollectResult, type NodeId, type ORMap, type ORMapData, type Sibling } from '@rumor/ormap';
import type { AntiEntropyHooks, PeerDownReason, ReplicaCallbacks } from '@rumor/replica';
import { createDigestSync } from './digest-sync.js';
import { MapError, MapErrorCode, type MapWarning } from './errors.js';
import { createMemoryStorage } from './memory-storage.js';
import {
  resolveOptions,
  type MapReplicaHandle,
  type MapTimers,
  type ReplicatedMapComponents,
  type ReplicatedMapOptions,
} from './options.js';
import { sameValue } from './same-value.js';
import { createStability, type FrontierWire } from './stability.js';
import { createWal, type Wal, type WalStats } from './wal.js';

/** A change of a key's resolved value, local or remote. `value` is undefined when the key was deleted. */
export interface MapEvent<V> {
  key: string;
  value: V | undefined;
  previous: V | undefined;
  origin: 'local' | 'remote';
}

/** A `subscribe` listener; a throw is contained and logged. */
export type MapListener<V> = (event: MapEvent<V>) => void;

/** A key's value with its metadata; `hlc` and `writer` are those of the newest sibling (by hlc, then node id). */
export interface EntryMeta<V> {
  value: V;
  siblings: Sibling<V>[];
  hlc: number;
  writer: NodeId;
}

/** One operation of a batch given as a list. */
export type BatchOp<V> = { type: 'put'; key: string; value: V } | { type: 'delete'; key: string };

/** The operations a batch function may call. */
export interface MapBatch<V> {
  put(key: string, value: V): void;
  delete(key: string): void;
}

/** What a map sends as a full sync: its complete state and the stability table. */
export interface MapSnapshot<V = unknown> {
  state: ORMapData<V>;
  table: unknown;
}

/** `status()` of a map (design §8 `/status`). */
export interface MapStatus {
  name: string;
  /** Keys with a value. */
  keys: number;
  /** Keys whose every value was removed, kept until collected. */
  tombstones: number;
  writers: number;
  /** Local writes staged (logged, awaiting their fsync) and not yet applied. */
  pendingWrites: number;
  /** True when nothing written is waiting for an fsync (always true without persistence: nothing to wait for). */
  durable: boolean;
  persist: WalStats | undefined;
  deltas: { broadcast: number; unattached: number; merged: number };
  fullSyncs: { applied: number; served: number };
  antiEntropy: { rounds: number; equal: number; repairsServed: number; driverRounds: number | undefined };
  /** Remote inputs refused, by stable code (crdt-wire codes, `map.remote-rejected`). */
  rejected: { total: number; byCode: Record<string, number> };
  stability: { replicas: number; collectedSlots: number; collectedKeys: number; pruned: number };
  recovery: { snapshotChunks: number; records: number; warnings: MapWarning[] };
  closed: boolean;
}

/** The stock replicated map. */
export interface ReplicatedMap<V = unknown> {
  readonly name: string;
  /**
   * The replica-driver callbacks (full sync, deltas, digest anti-entropy, peer down) backing this map. Deltas are
   * `ORMapData` objects or their binary form (wire-format §5.2); `mergeDelta` takes either, untrusted.
   */
  readonly callbacks: ReplicaCallbacks<ORMapData<V> | Uint8Array, MapSnapshot<V>, never>;
  /** Attach the driver instance created with `callbacks`; deltas are broadcast from then on. */
  attach(replica: MapReplicaHandle): void;
  /** Write a value; resolves once durable locally (per the fsync policy). Rejects with a MapError, writing nothing. */
  put(key: string, value: V): Promise<void>;
  /**
   * Delete a key; resolves `true` once the tombstone is durable, or `false` (writing nothing) when the key had no
   * value — then only once every write issued before it is durable (acknowledgement order = issue order).
   */
  delete(key: string): Promise<boolean>;
  /** Several writes as one log record and one delta; all validated first, all or nothing; resolves in issue order. */
  batch(ops: ((tx: MapBatch<V>) => void) | readonly BatchOp<V>[]): Promise<void>;
  get(key: string): V | undefined;
  has(key: string): boolean;
  getWithMeta(key: string): EntryMeta<V> | undefined;
  /** Keys starting with `prefix`, after `after` (exclusive), at most `limit`, in key order. */
  scan(prefix?: string, options?: { limit?: number; after?: string }): Array<[string, V]>;
  /** `[key, value]` in key order, paged internally (safe while writing). */
  entries(prefix?: string): IterableIterator<[string, V]>;
  /** Listen to changes of keys starting with `prefix`; returns the unsubscribe function. */
  subscribe(prefix: string, listener: MapListener<V>): () => void;
  status(): MapStatus;
  /** Fsync everything written so far, whatever the policy. */
  flush(): Promise<void>;
  /** Write a snapshot now and truncate the log (no-op without persistence). */
  snapshot(): Promise<void>;
  /** Recompute stability and collect tombstones now. */
  collect(): CollectResult;
  /** Stop timers, finish pending writes and snapshots, fsync and release the storage. */
  close(): Promise<void>;
}

const realTimers: MapTimers = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

type WalRecord<V> = { t: 'w' | 'r'; d: ORMapData<V> };

/**
 * Largest delta broadcast in the binary form. A replica gossip payload's `bin` must stay well under the receivers'
 * codec `binBytesMax` (default 256 KiB); a bigger delta (a large batch) goes in the object form, whose strings are
 * bounded one by one.
 */
const BINARY_DELTA_BYTES_MAX = 65_536;

/** A local delta as it is broadcast: its binary form, or the object itself when that is too big (or fails). */
function deltaOnWire<V>(delta: ORMapData<V>): ORMapData<V> | Uint8Array {
  const bytes = encodeDelta(delta);
  return bytes.ok && bytes.value.length <= BINARY_DELTA_BYTES_MAX ? bytes.value : delta;
}

const NO_BEFORE: ReadonlyMap<string, never> = new Map<string, never>();
const noop = (): void => undefined;

/** Create (and recover) a replicated map; the node calls it as `node.map(name, options)`. */
export async function createReplicatedMap<V = unknown>(
  name: string,
  options: ReplicatedMapOptions<V>,
  components: ReplicatedMapComponents,
): Promise<ReplicatedMap<V>> {
  if (typeof name !== 'string' || name.length === 0) throw new MapError(MapErrorCode.badOption, 'a map needs a non-empty name');
  const opts = resolveOptions(options, components.storage !== undefined);
  const { nodeId: self, clock } = components;
  const timers = components.timers ?? realTimers;
  const log = components.log;
  let replica = components.replica;

  // A throwing custom resolver falls back to last-writer-wins: still a function of the converged siblings.
  const guard = (policy: ResolutionPolicy<V>): ResolutionPolicy<V> =>
    typeof policy !== 'function'
      ? policy
      : (siblings) => {
          try {
            return policy(siblings);
          } catch (error) {
            warn(MapErrorCode.policyFailed, `resolver threw, last writer wins instead: ${String(error)}`);
            return siblings[siblings.length - 1]!.value;
          }
        };
  const policies = Object.fromEntries(Object.entries(opts.policies).map(([prefix, p]) => [prefix, guard(p)]));
  const ormapInit = { nodeId: self, policy: guard(opts.policy), policies };
  const state: ORMap<V> = createORMap<V>(ormapInit, { clock });
  const stability = createStability(
    { self, silenceMs: opts.tombstoneTtlMs },
    { now: () => timers.now(), version: () => packNow() },
  );
  const packNow = (): number => pack(clock.now());

  const leaf: LeafValidator | undefined =
    opts.validator === undefined ? undefined : (value, key) => verdict(value as V, key) === undefined;
  const bounds = { keyBytesMax: opts.keyBytesMax, valueBytesMax: opts.valueBytesMax, maxDriftMs: opts.maxDriftMs };
  const ingestRemote: Ingest = createIngest({ ...bounds, entriesPerPayloadMax: Math.max(10_000, opts.repairKeysMax) }, { wallClock: () => timers.now() });
  const ingestFull: Ingest = createIngest({ ...bounds, entriesPerPayloadMax: opts.snapshotEntriesMax }, { wallClock: () => timers.now() });
  // Our own log: validated (a corrupt record is refused) but with no drift bound — a clock that stepped back since
  // must not throw away durable writes — and no user validator (it accepted them when they were written).
  const ingestRecovery: Ingest = createIngest(
    { keyBytesMax: Math.max(opts.keyBytesMax, 65_536), valueBytesMax: opts.persist?.recordBytesMax ?? opts.valueBytesMax, maxDriftMs: Number.MAX_SAFE_INTEGER, entriesPerPayloadMax: Number.MAX_SAFE_INTEGER },
    { wallClock: () => timers.now() },
  );

  const counters = {
    broadcast: 0, unattached: 0, merged: 0, fullApplied: 0, fullServed: 0, aeRounds: 0, aeEqual: 0, repairsServed: 0,
    rejected: 0, collectedSlots: 0, collectedKeys: 0, pruned: 0,
  };
  const rejectedByCode: Record<string, number> = {};
  const recovery = { snapshotChunks: 0, records: 0, warnings: [] as MapWarning[] };
  const warn = (code: MapWarning['code'], message: string): void => {
    const w = { code, message };
    log?.warn(w);
  };
  const countRejected = (code: string, n = 1): void => {
    counters.rejected += n;
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + n;
  };
  const countRejections = (rejections: readonly Rejection[]): void => {
    for (const r of rejections) countRejected(r.code);
  };

  // ---- durability -------------------------------------------------------------------------------------------
  let wal: Wal | undefined;
  if (opts.persist !== undefined) {
    wal = createWal(
      {
        fsync: opts.persist.fsync,
        batchIntervalMs: opts.persist.batchIntervalMs,
        batchRecords: opts.persist.batchRecords,
        recordBytesMax: opts.persist.recordBytesMax,
      },
      // Not the unref'd default timers: a pending group commit must keep the process alive.
      { storage: components.storage ?? createMemoryStorage(), ...(components.timers ? { timers: components.timers } : {}), ...(log ? { log } : {}) },
    );
    const recovered = await wal.recover();
    recovery.warnings.push(...recovered.warnings);
    for (const chunk of recovered.snapshot) {
      recovery.snapshotChunks += 1;
      const c = chunk as { t?: unknown; d?: unknown; frontier?: unknown };
      if (c.t === 'm') stability.raiseOwn(parseFrontier(c.frontier));
      else replay(c.d);
    }
    for (const record of recovered.records) {
      recovery.records += 1;
      replay((record as { d?: unknown }).d);
    }
  }
  stability.raiseOwn([[self, state.observed().get(self) ?? 0]]);

  function replay(data: unknown): void {
    const result = ingestRecovery.ingest(state, data);
    if (result.rejected.length > 0) {
      const message = `recovery skipped ${result.rejected.length} invalid entries (${result.rejected[0]!.code})`;
      recovery.warnings.push({ code: MapErrorCode.logRecordRejected, message });
      warn(MapErrorCode.logRecordRejected, message);
    }
  }

  // ---- writes -----------------------------------------------------------------------------------------------
  let closed = false;
  const pendingDeltas = new Set<ORMapData<V>>();
  const inflight = new Set<Promise<unknown>>();
  const ownPresence = new Map<string, V>();

  function verdict(value: V, key: string): string | undefined {
    if (opts.validator === undefined) return undefined;
    try {
      const r = opts.validator(value, key);
      if (r === true || r === undefined) return undefined;
      return typeof r === 'string' ? r : 'rejected by the validator';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  function checkKey(key: unknown): asserts key is string {
    if (typeof key !== 'string' || key.length === 0) throw new MapError(MapErrorCode.invalidKey, 'a key is a non-empty string');
    const n = utf8Length(key);
    if (!(n > 0 && n <= opts.keyBytesMax)) {
      throw new MapError(MapErrorCode.invalidKey, `key of ${n} UTF-8 bytes (1..${opts.keyBytesMax}, no lone surrogates)`);
    }
  }

  function checkValue(key: string, value: V): void {
    const size = wireSize(value, opts.valueBytesMax, 32);
    if (value === undefined || size === NOT_WIRE) {
      throw new MapError(MapErrorCode.invalidValue, `value of ${JSON.stringify(key)} is not a wire value (JSON-like data, byte arrays)`);
    }
    if (size > opts.valueBytesMax) {
      throw new MapError(MapErrorCode.valueTooLarge, `value of ${JSON.stringify(key)} exceeds valueBytesMax ${opts.valueBytesMax}`);
    }
    const reason = verdict(value, key);
    if (reason !== undefined) throw new MapError(MapErrorCode.invalidValue, `value of ${JSON.stringify(key)} rejected: ${reason}`);
  }

  function assertWritable(): void {
    if (closed) throw new MapError(MapErrorCode.closed, `map ${name} is closed`);
    const failed = wal?.stats().failed;
    if (failed !== undefined) throw new MapError(MapErrorCode.storageFailed, `map ${name} storage failed: ${failed}`);
  }

  // Staging: deltas of writes waiting for their fsync are computed on `staged`, a copy of just the keys they touch
  // (joined with later remote changes of those keys), so the live state only changes once a write is durable. It
  // is dropped whenever no write is pending, so it never grows beyond one burst of writes.
  let staged: ORMap<V> | undefined;
  const stagedKeys = new Set<string>();

  /** The entry of `key` in the live state, as a non-authoritative payload (context only, no horizon). */
  const entryOf = (key: string): ORMapData<V> => {
    const r = state.repair([key]);
    return { writers: r.writers, entries: r.entries };
  };

  /** Compute the delta of `ops` without touching the live state. */
  function stage(ops: readonly BatchOp<V>[]): ORMapData<V> | undefined {
    const target = (staged ??= createORMap<V>({ ...ormapInit, digestDepth: 1 }, { clock }));
    const load = (key: string): void => {
      if (stagedKeys.has(key)) return;
      stagedKeys.add(key);
      // A key with no live value has nothing to supersede; its dead context may stay behind.
      if (state.has(key)) target.merge(entryOf(key));
    };
    if (ops.length === 1) {
      const op = ops[0]!;
      load(op.key);
      return op.type === 'put' ? target.put(op.key, op.value) : target.delete(op.key);
    }
    const delta = target.batch((tx) => {
      for (const op of ops) {
        load(op.key);
        if (op.type === 'put') tx.put(op.key, op.value);
        else tx.delete(op.key);
      }
    });
    return delta.entries.length === 0 ? undefined : delta;
  }

  /** Without a log there is nothing to wait for: write straight into the state. */
  function writeDirect(ops: readonly BatchOp<V>[]): ORMapData<V> | undefined {
    if (ops.length === 1) {
      const op = ops[0]!;
      return op.type === 'put' ? state.put(op.key, op.value) : state.delete(op.key);
    }
    const delta = state.batch((tx) => {
      for (const op of ops) {
        if (op.type === 'put') tx.put(op.key, op.value);
        else tx.delete(op.key);
      }
    });
    return delta.entries.length === 0 ? undefined : delta;
  }

  function track(delta: ORMapData<V>, on: boolean): void {
    if (on) pendingDeltas.add(delta);
    else pendingDeltas.delete(delta);
  }

  // Acknowledgement order = issue order. The log acknowledges durable records in append order, so a write's
  // promise resolving implies every earlier write is durable and applied — except for a write that writes nothing
  // (a delete of a missing key, a batch of such, an empty batch): it has no record to wait for, so it waits for the
  // acknowledgement of the latest write issued before it. Otherwise `await map.delete('missing')` could resolve
  // while an earlier `put` still awaits its fsync, and a crash right after would take back a write the caller had
  // every reason to think durable.
  let latestWrite: Promise<void> = Promise.resolve();

  async function commit(ops: readonly BatchOp<V>[]): Promise<boolean> {
    assertWritable();
    if (wal === undefined) {
      const keys = ops.map((op) => op.key);
      const before = capture(keys);
      const delta = ops.length === 0 ? undefined : writeDirect(ops);
      if (delta === undefined) return false;
      afterLocal(delta, ops, before, keys);
      return true;
    }
    const delta = ops.length === 0 ? undefined : stage(ops);
    if (delta === undefined) {
      if (pendingDeltas.size === 0) dropStaged();
      await afterEarlierWrites();
      return false;
    }
    const framed = wal.frame({ t: 'w', d: delta } satisfies WalRecord<V>);
    if (!framed.ok) throw new MapError(MapErrorCode.valueTooLarge, `write too large for one log record: ${framed.error.message}`);
    track(delta, true);
    const appended = wal.append(framed.value, true);
    const written = logAndApply(delta, ops, appended);
    // Settles once this write is applied; fails only if it is not durable (a throwing listener does not count).
    latestWrite = appended.then(() => written.then(noop, noop));
    latestWrite.catch(noop); // nobody may be waiting on it; its failure reaches this write's caller anyway
    await written;
    return true;
  }

  /** Wait for `appended` (the record's fsync per policy), then apply, notify and broadcast the write. */
  async function logAndApply(delta: ORMapData<V>, ops: readonly BatchOp<V>[], appended: Promise<void>): Promise<void> {
    inflight.add(appended);
    try {
      await appended;
    } finally {
      inflight.delete(appended);
      track(delta, false);
      if (pendingDeltas.size === 0) dropStaged();
    }
    const keys = delta.entries.map((e) => e[0]);
    const before = capture(keys);
    const changed = state.merge(delta);
    afterLocal(delta, ops, before, changed);
  }

  /** A write that wrote nothing: resolve once the latest earlier write is acknowledged, reject if it failed. */
  async function afterEarlierWrites(): Promise<void> {
    try {
      await latestWrite;
    } catch (error) {
      throw new MapError(MapErrorCode.storageFailed, `map ${name}: an earlier write failed, so this one is not acknowledged`, { cause: error });
    }
  }

  function dropStaged(): void {
    staged = undefined;
    stagedKeys.clear();
  }

  function afterLocal(delta: ORMapData<V>, ops: readonly BatchOp<V>[], before: Map<string, V | undefined>, changed: Iterable<string>): void {
    stability.raiseOwn([[self, state.observed().get(self) ?? 0]]);
    if (opts.pruneOnPeerDown) {
      for (const op of ops) {
        if (op.type === 'put') ownPresence.set(op.key, op.value);
        else ownPresence.delete(op.key);
      }
    }
    notify(before, changed, 'local');
    if (replica !== undefined) {
      counters.broadcast += 1;
      replica.broadcastUpdate(deltaOnWire(delta));
    } else counters.unattached += 1; // peers get it by full sync / anti-entropy once attached
    maybeSnapshot();
  }

  // ---- subscriptions ----------------------------------------------------------------------------------------
  const subscribers = new Set<{ prefix: string; listener: MapListener<V> }>();
  const watched = (key: string): boolean => {
    for (const s of subscribers) if (key.startsWith(s.prefix)) return true;
    return false;
  };

  function capture(keys: Iterable<unknown>): Map<string, V | undefined> {
    const before = new Map<string, V | undefined>();
    if (subscribers.size === 0) return before;
    for (const key of keys) if (typeof key === 'string' && watched(key)) before.set(key, state.get(key));
    return before;
  }

  /** Keys listed in an untrusted payload, for the before-image only (bounded, never trusted further). */
  function listedKeys(payload: unknown): string[] {
    if (subscribers.size === 0 || typeof payload !== 'object' || payload === null) return [];
    const entries = (payload as { entries?: unknown }).entries;
    if (!Array.isArray(entries)) return [];
    const out: string[] = [];
    for (let i = 0; i < entries.length && i < opts.snapshotEntriesMax; i++) {
      const e: unknown = entries[i];
      if (Array.isArray(e) && typeof e[0] === 'string') out.push(e[0]);
    }
    return out;
  }

  function notify(before: ReadonlyMap<string, V | undefined>, changed: Iterable<string>, origin: 'local' | 'remote'): void {
    for (const key of changed) {
      if (origin === 'remote' && opts.pruneOnPeerDown) reassert(key);
      if (subscribers.size === 0 || !watched(key)) continue;
      const value = state.get(key);
      // A key the payload did not list (changed through a horizon) was live before: it can only have lost values.
      const previous = before.has(key) ? before.get(key) : undefined;
      if (before.has(key) ? sameValue(previous, value) : value !== undefined) continue;
      const event: MapEvent<V> = { key, value, previous, origin };
      for (const s of [...subscribers]) {
        if (!key.startsWith(s.prefix)) continue;
        try {
          s.listener(event);
        } catch (error) {
          warn(MapErrorCode.listenerThrew, `listener on ${JSON.stringify(s.prefix)} threw: ${String(error)}`);
        }
      }
    }
  }

  // ---- presence (pruneOnPeerDown) ---------------------------------------------------------------------------
  function reassert(key: string): void {
    const mine = ownPresence.get(key);
    if (mine === undefined || closed) return;
    if (state.has(key)) {
      // Someone else's write superseded ours: the key is theirs now.
      if (!state.siblings(key).some((s) => s.node === self)) ownPresence.delete(key);
      return;
    }
    background(commit([{ type: 'put', key, value: mine }]), `re-assert ${key}`);
  }

  function prune(node: NodeId): void {
    const doomed: BatchOp<V>[] = [];
    for (const key of state.keys()) {
      const siblings = state.siblings(key);
      if (siblings.length > 0 && siblings.every((s) => s.node === node)) doomed.push({ type: 'delete', key });
    }
    if (doomed.length === 0) return;
    counters.pruned += doomed.length;
    background(commit(doomed), `prune ${node}`);
  }

  function background(p: Promise<unknown>, what: string): void {
    inflight.add(p);
    p.catch((error: unknown) => warn(MapErrorCode.storageFailed, `${what} failed: ${String(error)}`)).finally(() => inflight.delete(p));
  }

  /** Keep staged copies at least as new as the state, so a local write supersedes what was visible. */
  function refreshStaged(keys: Iterable<string>): void {
    if (staged === undefined) return;
    for (const key of keys) if (stagedKeys.has(key)) staged.merge(entryOf(key));
  }

  // ---- remote input -----------------------------------------------------------------------------------------
  function logRemote(data: ORMapData<V>): boolean {
    if (wal === undefined) return true;
    const framed = wal.frame({ t: 'r', d: data } satisfies WalRecord<V>);
    if (!framed.ok) return false;
    wal.append(framed.value, false).catch(() => undefined); // a failure marks the log failed; status shows it
    return true;
  }

  /** Run `fn` once everything merged so far is durable (its evidence may be gossiped only then). */
  function whenDurable(fn: () => void): void {
    if (wal === undefined) return fn();
    background(wal.flush().then(fn), 'flush');
  }

  function mergeDelta(instance: string, delta: unknown): void {
    if (closed || instance !== name) return;
    // Validated ingest in two steps (accept, then merge), so the before-images come from the accepted keys —
    // also for a binary delta, whose keys are known only once decoded.
    const { data, rejected } = ingestRemote.accept<V>(delta, leaf);
    countRejections(rejected);
    if (data.entries.length === 0 && data.horizon === undefined) return;
    const before = subscribers.size === 0 ? NO_BEFORE : capture(data.entries.map((e) => e[0]));
    const changed = state.merge(data);
    counters.merged += 1;
    refreshStaged(changed);
    if (!logRemote(data)) background(snapshotNow(), 'snapshot');
    notify(before, changed, 'remote');
    maybeSnapshot();
  }

  function applyFullSync(instance: string, snapshot: unknown, from: NodeId): void {
    if (closed || instance !== name) return;
    if (typeof snapshot !== 'object' || snapshot === null || !('state' in snapshot)) {
      countRejected(MapErrorCode.remoteRejected);
      return;
    }
    const snap = snapshot as MapSnapshot<V>;
    const before = capture(listedKeys(snap.state));
    const result = ingestFull.ingest(state, snap.state, leaf);
    countRejections(result.rejected);
    counters.fullApplied += 1;
    if (!stability.mergeTable(snap.table)) countRejected(MapErrorCode.remoteRejected);
    const claim = result.rejected.length === 0 ? stability.claimOf(snap.table, from) : undefined;
    const changedState = result.merged.entries.length > 0 || result.merged.horizon !== undefined;
    refreshStaged(result.accepted);
    notify(before, result.accepted, 'remote');
    const raise = (): void => {
      if (claim !== undefined) stability.raiseOwn(claim);
    };
    if (!changedState) return whenDurable(raise);
    if (logRemote(result.merged)) whenDurable(raise);
    else background(snapshotNow().then(raise), 'snapshot after full sync');
  }

  // ---- snapshots --------------------------------------------------------------------------------------------
  let snapshotting: Promise<void> | undefined;

  function maybeSnapshot(): void {
    if (wal === undefined || snapshotting !== undefined || closed) return;
    if (wal.stats().bytesSinceSnapshot >= opts.persist!.snapshotEveryBytes) background(snapshotNow(), 'snapshot');
  }

  function snapshotNow(): Promise<void> {
    if (wal === undefined) return Promise.resolve();
    const run = async (): Promise<void> => {
      const w = wal!;
      if (w.stats().failed !== undefined) return;
      // rotate() and the capture below run in one synchronous step: the snapshot covers exactly the old segments.
      const ticket = w.rotate();
      const chunks = snapshotChunks(w);
      await ticket.commit(chunks);
    };
    const next = (snapshotting ?? Promise.resolve()).then(run, run);
    const tracked = next.finally(() => {
      if (snapshotting === tracked) snapshotting = undefined;
    });
    snapshotting = tracked;
    return tracked;
  }

  function snapshotChunks(w: Wal): Uint8Array[] {
    const snap = state.snapshot();
    const out: Uint8Array[] = [];
    const frame = (value: unknown): Uint8Array => {
      const r = w.frame(value);
      if (!r.ok) throw new MapError(MapErrorCode.valueTooLarge, r.error.message);
      return r.value;
    };
    const pushEntries = (entries: ORMapData<V>['entries']): void => {
      const r = w.frame({ t: 's', d: { writers: snap.writers, entries } });
      if (r.ok) out.push(r.value);
      else if (entries.length > 1) {
        const half = entries.length >> 1;
        pushEntries(entries.slice(0, half));
        pushEntries(entries.slice(half));
      } else throw new MapError(MapErrorCode.valueTooLarge, `entry too large for a snapshot record: ${r.error.message}`);
    };
    const size = opts.persist!.snapshotChunkEntries;
    for (let i = 0; i < snap.entries.length; i += size) pushEntries(snap.entries.slice(i, i + size));
    // Staged local writes are in the old segments but not in the state yet: the snapshot must cover them too.
    for (const d of pendingDeltas) out.push(frame({ t: 's', d }));
    // The horizon last: merged before the entries it would drop them (a dot under the horizon not held is dead).
    if (snap.horizon !== undefined) out.push(frame({ t: 's', d: { writers: snap.writers, entries: [], horizon: snap.horizon } }));
    out.push(frame({ t: 'm', frontier: [...stability.own()] }));
    return out;
  }

  // ---- stability and collection -----------------------------------------------------------------------------
  function collect(): CollectResult {
    const byStability = state.collect(stability.stable());
    const byTtl = state.collectExpired(timers.now(), opts.tombstoneTtlMs);
    const slots = byStability.slots + byTtl.slots;
    const keys = byStability.keys + byTtl.keys;
    counters.collectedSlots += slots;
    counters.collectedKeys += keys;
    return { slots, keys };
  }

  let cancelCollect: (() => void) | undefined;
  const scheduleCollect = (): void => {
    if (opts.collectIntervalMs === 0 || closed) return;
    cancelCollect = timers.setTimer(opts.collectIntervalMs, () => {
      if (closed) return;
      collect();
      scheduleCollect();
    });
  };
  scheduleCollect();

  // ---- replica callbacks ------------------------------------------------------------------------------------
  const digestSync = createDigestSync(state as ORMap<unknown>, {
    keysPerNodeMax: opts.digestKeysPerNode,
    itemsPerStepMax: 64,
    keysPerStepMax: opts.repairKeysMax,
    keyLengthMax: opts.keyBytesMax,
  });
  const invalid = (): void => countRejected(MapErrorCode.remoteRejected);
  const antiEntropy: AntiEntropyHooks<unknown, unknown, ORMapData<V>> = {
    digest: () => digestSync.root(stability.table()),
    compare: (instance, remote, from) => {
      if (closed || instance !== name) return { kind: 'done' };
      return digestSync.compare(
        remote,
        (table, equal) => {
          counters.aeRounds += 1;
          if (!stability.mergeTable(table)) invalid();
          if (!equal) return;
          counters.aeEqual += 1;
          const claim = stability.claimOf(table, from);
          if (claim !== undefined) whenDurable(() => stability.raiseOwn(claim));
        },
        invalid,
      ) as ReturnType<AntiEntropyHooks<unknown, unknown, ORMapData<V>>['compare']>;
    },
    repair: (instance, need) => {
      if (closed || instance !== name) return undefined;
      const r = digestSync.repair(need, invalid) as ORMapData<V> | undefined;
      if (r !== undefined) counters.repairsServed += 1;
      return r;
    },
  };

  const callbacks: ReplicaCallbacks<ORMapData<V> | Uint8Array, MapSnapshot<V>, never> = {
    mergeDelta: (instance, delta) => mergeDelta(instance, delta),
    applyFullSync: (instance, snapshot, from) => applyFullSync(instance, snapshot, from),
    fullSyncSnapshot: (instance) => {
      if (closed || instance !== name) return undefined;
      counters.fullServed += 1;
      return { state: state.snapshot(), table: stability.table() };
    },
    removeNode: (instance, node, reason: PeerDownReason) => {
      if (closed || instance !== name || !opts.pruneOnPeerDown || reason === 'evicted' || node === self) return;
      prune(node);
    },
    antiEntropy,
  };

  // ---- reads and the public object --------------------------------------------------------------------------
  function toOps(ops: ((tx: MapBatch<V>) => void) | readonly BatchOp<V>[]): BatchOp<V>[] {
    if (typeof ops !== 'function') return [...ops];
    const list: BatchOp<V>[] = [];
    ops({ put: (key, value) => void list.push({ type: 'put', key, value }), delete: (key) => void list.push({ type: 'delete', key }) });
    return list;
  }

  const map: ReplicatedMap<V> = {
    name,
    callbacks,
    attach(handle) {
      replica = handle;
    },
    async put(key, value) {
      assertWritable();
      checkKey(key);
      checkValue(key, value);
      await commit([{ type: 'put', key, value }]);
    },
    async delete(key) {
      assertWritable();
      checkKey(key);
      return commit([{ type: 'delete', key }]);
    },
    async batch(input) {
      assertWritable();
      const ops = toOps(input);
      for (const op of ops) {
        if (op === null || typeof op !== 'object' || (op.type !== 'put' && op.type !== 'delete')) {
          throw new MapError(MapErrorCode.badOption, 'a batch operation is { type: "put", key, value } or { type: "delete", key }');
        }
        checkKey(op.key);
        if (op.type === 'put') checkValue(op.key, op.value);
      }
      await commit(ops);
    },
    get: (key) => state.get(key),
    has: (key) => state.has(key),
    getWithMeta(key) {
      const siblings = state.siblings(key);
      const newest = siblings.at(-1);
      if (newest === undefined) return undefined;
      return { value: state.get(key) as V, siblings, hlc: newest.hlc, writer: newest.node };
    },
    scan(prefix = '', scanOptions = {}) {
      return state.scan(prefix, scanOptions);
    },
    *entries(prefix = '') {
      let after: string | undefined;
      for (;;) {
        const page = state.scan(prefix, after === undefined ? { limit: 256 } : { limit: 256, after });
        yield* page;
        if (page.length < 256) return;
        after = page[page.length - 1]![0];
      }
    },
    subscribe(prefix, listener) {
      const s = { prefix, listener };
      subscribers.add(s);
      return () => void subscribers.delete(s);
    },
    status() {
      const s = state.stats();
      const walStats = wal?.stats();
      return {
        name,
        keys: s.liveKeys,
        tombstones: s.tombstones,
        writers: s.writers,
        pendingWrites: pendingDeltas.size,
        durable: pendingDeltas.size === 0 && (walStats === undefined || walStats.unsyncedRecords === 0),
        persist: walStats,
        deltas: { broadcast: counters.broadcast, unattached: counters.unattached, merged: counters.merged },
        fullSyncs: { applied: counters.fullApplied, served: counters.fullServed },
        antiEntropy: {
          rounds: counters.aeRounds,
          equal: counters.aeEqual,
          repairsServed: counters.repairsServed,
          driverRounds: replica?.stats?.().antiEntropyRounds,
        },
        rejected: { total: counters.rejected, byCode: { ...rejectedByCode } },
        stability: { replicas: stability.replicas(), collectedSlots: counters.collectedSlots, collectedKeys: counters.collectedKeys, pruned: counters.pruned },
        recovery: { snapshotChunks: recovery.snapshotChunks, records: recovery.records, warnings: [...recovery.warnings] },
        closed,
      };
    },
    flush: () => wal?.flush() ?? Promise.resolve(),
    snapshot: () => snapshotNow(),
    collect,
    async close() {
      if (closed) return;
      closed = true;
      cancelCollect?.();
      await Promise.allSettled([...inflight]);
      await snapshotting?.catch(() => undefined);
      await wal?.close();
    },
  };
  return map;
}

function parseFrontier(raw: unknown): FrontierWire {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (p): p is [string, number] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number' && Number.isSafeInteger(p[1]),
  );
}
