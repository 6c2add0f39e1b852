/**
 * Per-map interning of writer node ids: entries refer to writers by a small integer, so per-key metadata costs a
 * few numbers per writer and snapshots name each node once. Indices are local to one map instance; on the wire they
 * index the payload's own `writers` table.
 */
import { hashHi, hashLo } from './hash.js';
import type { NodeId } from './types.js';

/** The interning table. */
export interface Writers {
  /** Local index of `id`, assigned on first sight. */
  intern(id: NodeId): number;
  /** Node id of a local index. */
  id(w: number): NodeId;
  /** Hash lanes of the node id, precomputed for digests. */
  readonly lo: number[];
  readonly hi: number[];
  readonly size: number;
}

// A class, not closures: one set of method code for every map, so optimised callers stay monomorphic.
class WritersTable implements Writers {
  private readonly index = new Map<string, number>();
  private readonly ids: NodeId[] = [];
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  // Payloads mostly come from the writer of the previous one: remember the last lookup.
  private lastId = '';
  private lastW = -1;

  intern(id: NodeId): number {
    if (id === this.lastId) return this.lastW;
    let w = this.index.get(id);
    if (w === undefined) {
      w = this.ids.length;
      this.index.set(id, w);
      this.ids.push(id);
      this.lo.push(hashLo(id));
      this.hi.push(hashHi(id));
    }
    this.lastId = id;
    this.lastW = w;
    return w;
  }

  id(w: number): NodeId {
    return this.ids[w]!;
  }

  get size(): number {
    return this.ids.length;
  }
}

/** Create an empty interning table. */
export function createWriters(): Writers {
  return new WritersTable();
}
