/**
 * Digest anti-entropy hooks over any hash tree of key buckets (design §4 "Digest", §5; the ormap's digest tree —
 * `digest()`, `digestChildren()`, `digestKeys()` + `repair()` — is the intended source).
 *
 * The tree: keys are bucketed by a hash; the node at level l and index i covers the keys whose bucket hash starts
 * with the l·4 bits of i, so each node has 16 children, and a node's summary is a 64-bit hash of its entries
 * (16 hex digits) and their count. Two replicas agree on the buckets without agreeing on anything else.
 *
 * The exchange these hooks run through the driver: the initiator sends the root (one node, 12 bytes of summary —
 * the cost of confirming equal replicas, whatever their size). Each side compares the other's nodes with its own
 * and answers with the 16 children of every node that differs (`descend`), except that a differing bucket small
 * enough (`shipEntriesMax` entries on both sides together, or at the deepest level, or empty on one side) is
 * settled at once: its entries are pushed as a repair and the peer's entries for it are asked for (`need`). So k
 * differing keys cost O(k · 16 · log16 n) summaries plus the k buckets' entries. A step lists at most
 * `parentsPerStepMax` parents; differing nodes beyond that are left for the next exchange, which finds them again —
 * every exchange is bounded and the sequence converges.
 *
 * Wire shapes (docs/wire-format.md): digest `{ level, parents, nodes }` where `nodes` packs, per listed node, its
 * 64-bit hash (8 bytes, big-endian) and its count (big-endian u32): 12 bytes; at level 0 `parents` is `[0]` and `nodes` holds the root,
 * at level l ≥ 1 `nodes` holds the 16 children of each parent (an index at level l − 1), in order. Need
 * `{ level, indexes }`. Both are checked by `validateDigest` / `validateNeed` before the hooks see them.
 */
import type { AntiEntropyHooks, AntiEntropyStep, MaybePromise } from './callbacks.js';
import type { Result } from './ports.js';
import { ReplicaErrorCode, fail } from './errors.js';

/** Summary of one tree node (the ormap's `DigestNode`): a 64-bit hash as 16 hex digits, and how many entries. */
export interface DigestNode {
  readonly hash: string;
  readonly count: number;
}

/** What the hooks need from the state: node summaries and the entries of some buckets. */
export interface DigestSource<Delta> {
  /** Summary of the whole state (the root, level 0). */
  root(name: string): DigestNode;
  /** The 16 children of node (`level`, `index`): the nodes (`level` + 1, `index`·16 + i). */
  children(name: string, level: number, index: number): readonly DigestNode[];
  /** Every entry in the given buckets at `level`, as one delta; undefined when there is none. */
  delta(name: string, level: number, indexes: readonly number[]): MaybePromise<Delta | undefined>;
}

/** A digest on the wire. */
export interface TreeDigest {
  level: number;
  parents: number[];
  nodes: Uint8Array;
}

/** A `need` on the wire: buckets whose entries the sender wants. */
export interface TreeNeed {
  level: number;
  indexes: number[];
}

/** Tunables of the tree hooks; each has a default. */
export interface DigestHooksInit {
  /** Settle a differing bucket by shipping entries when both sides hold at most this many. Default 32. */
  shipEntriesMax?: number;
  /** Deepest level compared (the ormap's tree addresses 0..8). Default 8. */
  levelsMax?: number;
  /** Parents whose children one step lists (12 · 16 bytes each); the rest wait for the next exchange. Default 1 024. */
  parentsPerStepMax?: number;
}

const FANOUT = 16;

const isPromise = <T>(v: MaybePromise<T>): v is Promise<T> => typeof (v as { then?: unknown } | undefined)?.then === 'function';
const NODE_BYTES = 12;

/** A node as three u32: hash high, hash low, count. A hash that is not 16 hex digits packs as its own text hash. */
interface Packed {
  hi: number;
  lo: number;
  count: number;
}

const HEX16 = /^[0-9a-fA-F]{16}$/;

function pack(n: DigestNode): Packed {
  if (HEX16.test(n.hash)) return { hi: parseInt(n.hash.slice(0, 8), 16), lo: parseInt(n.hash.slice(8), 16), count: n.count >>> 0 };
  // Not the expected form: fold the text into 64 bits so that equal summaries still pack equal.
  let hi = 0x811c9dc5;
  let lo = 0x01000193;
  for (let i = 0; i < n.hash.length; i++) {
    hi = Math.imul(hi ^ n.hash.charCodeAt(i), 0x01000193) >>> 0;
    lo = Math.imul(lo ^ n.hash.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  return { hi, lo, count: n.count >>> 0 };
}

function packNodes(nodes: readonly DigestNode[]): Uint8Array {
  const out = new Uint8Array(nodes.length * NODE_BYTES);
  const view = new DataView(out.buffer);
  nodes.forEach((n, i) => {
    const p = pack(n);
    view.setUint32(i * NODE_BYTES, p.hi);
    view.setUint32(i * NODE_BYTES + 4, p.lo);
    view.setUint32(i * NODE_BYTES + 8, p.count);
  });
  return out;
}

function readNode(view: DataView, i: number): Packed {
  return { hi: view.getUint32(i * NODE_BYTES), lo: view.getUint32(i * NODE_BYTES + 4), count: view.getUint32(i * NODE_BYTES + 8) };
}

/** Create anti-entropy hooks over a bucket hash tree. */
export function createDigestHooks<Delta>(source: DigestSource<Delta>, init: DigestHooksInit = {}): AntiEntropyHooks<TreeDigest, TreeNeed, Delta> {
  const shipMax = init.shipEntriesMax ?? 32;
  const levelsMax = init.levelsMax ?? 8;
  const parentsMax = init.parentsPerStepMax ?? 1024;

  /** Our 16 children of `parent` at `level` − 1, checked (a source bug must not become a wrong comparison). */
  function kids(name: string, level: number, parent: number): readonly DigestNode[] {
    const k = source.children(name, level - 1, parent);
    if (k.length !== FANOUT) throw new RangeError(`digest source returned ${k.length} children, expected ${FANOUT}`);
    return k;
  }

  function childrenDigest(name: string, level: number, parents: readonly number[]): TreeDigest {
    const nodes: DigestNode[] = [];
    for (const p of parents) nodes.push(...kids(name, level, p));
    return { level, parents: [...parents], nodes: packNodes(nodes) };
  }

  return {
    digest(name) {
      return { level: 0, parents: [0], nodes: packNodes([source.root(name)]) };
    },
    compare(name, remote) {
      const view = new DataView(remote.nodes.buffer, remote.nodes.byteOffset, remote.nodes.byteLength);
      const descend: number[] = [];
      const pushBuckets: number[] = [];
      const needBuckets: number[] = [];
      const level = remote.level;
      const ourNodes = level === 0 ? [source.root(name)] : remote.parents.flatMap((p) => kids(name, level, p));
      for (let i = 0; i < ourNodes.length; i++) {
        const index = level === 0 ? 0 : remote.parents[Math.floor(i / FANOUT)]! * FANOUT + (i % FANOUT);
        const theirs = readNode(view, i);
        const ours = pack(ourNodes[i]!);
        if (ours.lo === theirs.lo && ours.hi === theirs.hi && ours.count === theirs.count) continue;
        if (theirs.count === 0 || ours.count === 0 || ours.count + theirs.count <= shipMax || remote.level >= levelsMax) {
          if (ours.count > 0) pushBuckets.push(index);
          if (theirs.count > 0) needBuckets.push(index);
        } else if (descend.length < parentsMax) descend.push(index);
      }
      if (descend.length === 0 && pushBuckets.length === 0 && needBuckets.length === 0) {
        return remote.level === 0 ? { kind: 'equal' } : { kind: 'done' };
      }
      const need = needBuckets.length > 0 ? { level: remote.level, indexes: needBuckets } : undefined;
      const finish = (repair: Delta | undefined): AntiEntropyStep<TreeDigest, TreeNeed, Delta> => {
        const extra = { ...(need === undefined ? {} : { need }), ...(repair === undefined ? {} : { repair }) };
        if (descend.length === 0) return { kind: 'done', ...extra };
        return { kind: 'descend', digest: childrenDigest(name, remote.level + 1, descend), ...extra };
      };
      // Stay synchronous when the source is: the simulator runs on virtual time, not on microtasks.
      const repair = pushBuckets.length > 0 ? source.delta(name, remote.level, pushBuckets) : undefined;
      return isPromise(repair) ? repair.then(finish) : finish(repair);
    },
    repair(name, need) {
      return source.delta(name, need.level, need.indexes);
    },
    validateDigest: (value) => validateDigest(value, init),
    validateNeed: (value) => validateNeed(value, init),
  };
}

/** Validate a peer's tree digest: level in range, parents sorted, unique and in range, nodes of the exact size. */
export function validateDigest(value: unknown, init: DigestHooksInit = {}): Result<TreeDigest> {
  const levelsMax = init.levelsMax ?? 8;
  const parentsMax = init.parentsPerStepMax ?? 1024;
  const bad = (m: string): Result<TreeDigest> => fail(ReplicaErrorCode.invalidPayload, `digest: ${m}`);
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const { level, parents, nodes } = value as Record<string, unknown>;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > levelsMax) return bad('level out of range');
  if (!Array.isArray(parents) || parents.length === 0 || parents.length > parentsMax) return bad('parents missing or too many');
  if (level === 0 && (parents.length !== 1 || parents[0] !== 0)) return bad('a level-0 digest lists the root only');
  const parentRange = level === 0 ? 1 : FANOUT ** (level - 1);
  let prev = -1;
  for (const p of parents) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p <= prev || p >= parentRange) return bad('parents not increasing indexes in range');
    prev = p;
  }
  const expected = (level === 0 ? 1 : parents.length * FANOUT) * NODE_BYTES;
  if (!(nodes instanceof Uint8Array) || nodes.length !== expected) return bad(`nodes must be ${expected} bytes`);
  return { ok: true, value: { level, parents: parents as number[], nodes } };
}

/** Validate a peer's need: level in range, indexes sorted, unique, in range and bounded. */
export function validateNeed(value: unknown, init: DigestHooksInit = {}): Result<TreeNeed> {
  const levelsMax = init.levelsMax ?? 8;
  const indexesMax = (init.parentsPerStepMax ?? 1024) * FANOUT;
  const bad = (m: string): Result<TreeNeed> => fail(ReplicaErrorCode.invalidPayload, `need: ${m}`);
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const { level, indexes } = value as Record<string, unknown>;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > levelsMax) return bad('level out of range');
  if (!Array.isArray(indexes) || indexes.length === 0 || indexes.length > indexesMax) return bad('indexes missing or too many');
  let prev = -1;
  for (const i of indexes) {
    if (typeof i !== 'number' || !Number.isInteger(i) || i <= prev || i >= FANOUT ** level) return bad('indexes not increasing in range');
    prev = i;
  }
  return { ok: true, value: { level, indexes: indexes as number[] } };
}
