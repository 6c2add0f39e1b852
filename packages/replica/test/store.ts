/**
 * A test owner: a grow-only map of counters (max per key) behind the replica callbacks, with a bucket hash tree
 * for the digest hooks computed by scanning (tests hold a few hundred keys). It records every callback call.
 */
import {
  createDigestHooks,
  type DigestNode,
  type DigestHooksInit,
  type NodeId,
  type PeerDownReason,
  type ReplicaCallbacks,
} from '@rumor/replica';
import { asRecord, joinInto, type Counters } from './fakes.js';

function hash32(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2d);
  return (h ^ (h >>> 16)) >>> 0;
}

const bucketAt = (bucket: number, level: number): number => (level === 0 ? 0 : bucket >>> (32 - 4 * level));

export interface Call {
  callback: string;
  name: string;
  from?: NodeId;
  value?: unknown;
  reason?: PeerDownReason;
}

export interface TestStore {
  /** Per instance name. */
  states: Map<string, Map<string, number>>;
  calls: Call[];
  state(name: string): Map<string, number>;
  view(name: string): Counters;
  callbacks: ReplicaCallbacks<Counters, Counters, unknown>;
  /** Digest tree node, by scanning. */
  node(name: string, level: number, index: number): DigestNode;
}

/** `antiEntropy`: false (none), true (full pull), 'digest' (tree hooks). */
export function createStore(antiEntropy: boolean | 'digest' = false, digestInit?: DigestHooksInit): TestStore {
  const states = new Map<string, Map<string, number>>();
  const calls: Call[] = [];
  const state = (name: string): Map<string, number> => {
    let s = states.get(name);
    if (s === undefined) states.set(name, (s = new Map()));
    return s;
  };
  const node = (name: string, level: number, index: number): DigestNode => {
    let lo = 0;
    let hi = 0;
    let count = 0;
    for (const [k, v] of state(name)) {
      if (bucketAt(hash32(k, 1), level) !== index) continue;
      lo ^= hash32(`${k}=${v}`, 2);
      hi ^= hash32(`${k}=${v}`, 3);
      count++;
    }
    const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
    return { hash: hex(hi) + hex(lo), count };
  };
  const root = (name: string): DigestNode => node(name, 0, 0);
  const children = (name: string, level: number, index: number): DigestNode[] =>
    Array.from({ length: 16 }, (_, c) => node(name, level + 1, index * 16 + c));
  const delta = (name: string, level: number, indexes: readonly number[]): Counters | undefined => {
    const want = new Set(indexes);
    const out: Counters = {};
    let n = 0;
    for (const [k, v] of state(name)) if (want.has(bucketAt(hash32(k, 1), level))) (out[k] = v), n++;
    return n === 0 ? undefined : out;
  };
  const callbacks: ReplicaCallbacks<Counters, Counters, unknown> = {
    mergeDelta(name, d, from) {
      calls.push({ callback: 'mergeDelta', name, from, value: d });
      joinInto(state(name), d);
    },
    applyFullSync(name, snap, from) {
      calls.push({ callback: 'applyFullSync', name, from, value: snap });
      joinInto(state(name), snap);
    },
    fullSyncSnapshot(name, to) {
      calls.push({ callback: 'fullSyncSnapshot', name, from: to });
      const s = state(name);
      return s.size === 0 ? undefined : asRecord(s);
    },
    removeNode(name, node, reason) {
      calls.push({ callback: 'removeNode', name, from: node, reason });
    },
    mergeCustom(name, payload, from) {
      calls.push({ callback: 'mergeCustom', name, from, value: payload });
    },
  };
  if (antiEntropy === true) callbacks.antiEntropy = true;
  if (antiEntropy === 'digest') callbacks.antiEntropy = createDigestHooks({ root, children, delta }, digestInit);
  return { states, calls, state, view: (name) => asRecord(state(name)), callbacks, node };
}

/** A delta validator: a plain object of finite numbers under short keys. */
export function validCounters(value: unknown): { ok: true; value: Counters } | { ok: false; error: { code: string; message: string } } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return { ok: false, error: { code: 'test/not-counters', message: 'not an object' } };
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.length > 64 || typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, error: { code: 'test/not-counters', message: `bad entry ${k}` } };
  }
  return { ok: true, value: value as Counters };
}
