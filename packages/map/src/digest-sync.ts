/**
 * Digest anti-entropy hooks for the replica driver (design §5), backed by the OR-Map's digest tree.
 *
 * A round opens with the root digest (hash, key count, horizon hash, and the stability table). Equal roots end it
 * at once: the cost is a constant number of bytes whatever the map's size. Otherwise the sides descend the 16-ary
 * tree, sending only the children of nodes that differ, down to key lists once a node holds few keys; the side
 * that compares key lists asks for the differing keys (`need`) and ships its own entries for them (`repair`). A
 * divergence of k keys costs O(k log n). Every remote digest is untrusted: shapes and bounds are checked, and a
 * malformed step ends the exchange and is counted, it never throws.
 */
import type { DigestKey, DigestNode, ORMap, ORMapData } from '@rumor/ormap';
import { DIGEST_FANOUT, DIGEST_MAX_LEVEL } from '@rumor/ormap';

/** One item of a descent: the children of node (l, i), or the keys under it with their entry hashes. */
export type DigestItem = { l: number; i: number; c: DigestNode[] } | { l: number; i: number; k: DigestKey[] };

/** What travels in `ae-digest` / `ae-step` for a map. */
export type MapDigest =
  | { t: 'root'; hash: string; count: number; horizon: string; table: unknown }
  | { t: 'nodes'; items: DigestItem[] };

/** Keys a side asks its peer to send. */
export type MapNeed = string[];

/** Bounds of one step. */
export interface DigestSyncInit {
  /** A node holding at most this many keys (on either side) is compared key by key. Default 32. */
  keysPerNodeMax: number;
  /** Most items in one step; further differences wait for the next round. Default 64. */
  itemsPerStepMax: number;
  /** Most keys needed or repaired per step. Default 1 024. */
  keysPerStepMax: number;
  /** Longest key accepted in a digest, in UTF-16 units. */
  keyLengthMax: number;
}

/** The result of comparing a remote digest, as the driver's `AntiEntropyStep`. */
export type DigestStep =
  | { kind: 'equal' }
  | { kind: 'descend'; digest: MapDigest; need?: MapNeed; repair?: ORMapData }
  | { kind: 'done'; need?: MapNeed; repair?: ORMapData };

/** Hooks plus the map-side reactions (equality is evidence for stability; malformed input is counted). */
export interface DigestSync {
  root(table: unknown): MapDigest;
  /** `onEqual(table)` runs when the states were found equal; `onInvalid(reason)` when the digest was malformed. */
  compare(remote: unknown, onRoot: (table: unknown, equal: boolean) => void, onInvalid: (reason: string) => void): DigestStep;
  repair(need: unknown, onInvalid: (reason: string) => void): ORMapData | undefined;
}

const HASH_RE = /^[0-9a-f]{16}$/;

/** Create the digest hooks over one OR-Map. */
export function createDigestSync(state: ORMap<unknown>, init: DigestSyncInit): DigestSync {
  const isHash = (h: unknown): h is string => typeof h === 'string' && HASH_RE.test(h);
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const isKey = (k: unknown): k is string => typeof k === 'string' && k.length <= init.keyLengthMax;
  const validNode = (l: unknown, i: unknown): boolean =>
    typeof l === 'number' && Number.isInteger(l) && l >= 0 && l <= DIGEST_MAX_LEVEL &&
    typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < DIGEST_FANOUT ** l;

  function parseItem(raw: unknown): DigestItem | string {
    if (typeof raw !== 'object' || raw === null) return 'item is not an object';
    const { l, i, c, k } = raw as Record<string, unknown>;
    if (!validNode(l, i)) return 'bad node position';
    if (c !== undefined) {
      if ((l as number) >= DIGEST_MAX_LEVEL) return 'children below the last level';
      if (!Array.isArray(c) || c.length !== DIGEST_FANOUT) return 'children list of wrong length';
      for (const n of c) {
        if (typeof n !== 'object' || n === null || !isHash((n as DigestNode).hash) || !isCount((n as DigestNode).count)) {
          return 'bad child summary';
        }
      }
      return { l: l as number, i: i as number, c: c as DigestNode[] };
    }
    if (!Array.isArray(k) || k.length > init.keysPerStepMax) return 'bad key list';
    for (const pair of k) {
      if (!Array.isArray(pair) || pair.length !== 2 || !isKey(pair[0]) || !isHash(pair[1])) return 'bad key hash';
    }
    return { l: l as number, i: i as number, k: k as DigestKey[] };
  }

  /** The next item for node (level, index): its keys when small or at the bottom, else its children. */
  function itemFor(level: number, index: number, theirCount: number, myCount: number): DigestItem {
    if (level >= DIGEST_MAX_LEVEL || Math.min(theirCount, myCount) <= init.keysPerNodeMax || myCount <= init.keysPerNodeMax) {
      return { l: level, i: index, k: state.digestKeys(level, index) };
    }
    return { l: level, i: index, c: state.digestChildren(level, index) };
  }

  return {
    root(table) {
      const d = state.digest();
      return { t: 'root', hash: d.hash, count: d.count, horizon: d.horizon, table };
    },
    compare(remote, onRoot, onInvalid) {
      if (typeof remote !== 'object' || remote === null) {
        onInvalid('digest is not an object');
        return { kind: 'done' };
      }
      const r = remote as Record<string, unknown>;
      if (r.t === 'root') {
        if (!isHash(r.hash) || !isCount(r.count) || !isHash(r.horizon)) {
          onInvalid('bad root digest');
          return { kind: 'done' };
        }
        const mine = state.digest();
        const sameEntries = mine.hash === r.hash && mine.count === r.count;
        onRoot(r.table, sameEntries && mine.horizon === r.horizon);
        if (sameEntries && mine.horizon === r.horizon) return { kind: 'equal' };
        // Same entries, different horizons: swap horizons (an empty authoritative repair carries ours).
        if (sameEntries) return { kind: 'done', need: [], repair: state.repair([]) };
        return { kind: 'descend', digest: { t: 'nodes', items: [{ l: 0, i: 0, c: state.digestChildren(0, 0) }] } };
      }
      if (r.t !== 'nodes' || !Array.isArray(r.items) || r.items.length > init.itemsPerStepMax) {
        onInvalid('bad digest step');
        return { kind: 'done' };
      }
      const next: DigestItem[] = [];
      const keys = new Set<string>();
      for (const raw of r.items) {
        const item = parseItem(raw);
        if (typeof item === 'string') {
          onInvalid(item);
          return { kind: 'done' };
        }
        if ('c' in item) {
          const mine = state.digestChildren(item.l, item.i);
          for (const child of state.diffChildren(item.l, item.i, item.c)) {
            if (next.length >= init.itemsPerStepMax) break;
            const at = child - item.i * DIGEST_FANOUT;
            next.push(itemFor(item.l + 1, child, item.c[at]!.count, mine[at]!.count));
          }
        } else {
          for (const key of state.diffKeys(item.l, item.i, item.k)) {
            if (keys.size >= init.keysPerStepMax) break;
            keys.add(key);
          }
        }
      }
      const need = [...keys];
      const repair = need.length > 0 ? state.repair(need) : undefined;
      if (next.length > 0) {
        return { kind: 'descend', digest: { t: 'nodes', items: next }, ...(need.length > 0 ? { need, repair } : {}) };
      }
      return need.length > 0 ? { kind: 'done', need, ...(repair ? { repair } : {}) } : { kind: 'done' };
    },
    repair(need, onInvalid) {
      if (!Array.isArray(need) || need.length > init.keysPerStepMax || !need.every(isKey)) {
        onInvalid('bad need');
        return undefined;
      }
      return state.repair(need as string[]);
    },
  };
}
