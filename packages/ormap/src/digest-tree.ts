/**
 * The hash tree behind anti-entropy digests (design §4 "Digest", §5 anti-entropy).
 *
 * Keys are bucketed by a 32-bit hash of the key: the node at level l (0 = root) and index i holds every key whose
 * hash starts with the 4·l bits of i, so every node has 16 children and both replicas agree on the buckets without
 * agreeing on anything else. Each node keeps the XOR of its entries' 64-bit hashes and their count. Levels
 * 0..`depth` are stored and updated in O(depth) per changed entry — a digest never rescans the map; deeper levels
 * (up to 8, a full 32-bit hash) are computed on demand from the stored leaf's member list. Equal states give equal
 * roots; a difference in k keys is found by descending only into differing children: O(k log n) node hashes.
 */

/** Anything stored in the tree: its bucket hash and its current entry hash lanes. */
export interface TreeMember {
  readonly bucket: number;
  lo: number;
  hi: number;
  /** Position in its leaf's member list (owned by the tree). */
  leafPos: number;
}

/** A node's summary. */
export interface TreeNode {
  lo: number;
  hi: number;
  count: number;
}

/** Deepest level that can be addressed (8 × 4 bits = the whole 32-bit bucket hash). */
export const MAX_LEVEL = 8;
/** Children per node. */
export const FANOUT = 16;

/** The tree. */
export interface DigestTree {
  readonly depth: number;
  add(m: TreeMember): void;
  remove(m: TreeMember): void;
  /** Replace a member's hash lanes (already XOR-ed into the tree under the old ones). */
  rehash(m: TreeMember, lo: number, hi: number): void;
  node(level: number, index: number): TreeNode;
  /** Members in a node's bucket (any level). */
  members(level: number, index: number): TreeMember[];
}

/** Index of a bucket hash at `level`. */
export function bucketAt(bucket: number, level: number): number {
  return level === 0 ? 0 : bucket >>> (32 - 4 * level);
}

// A class, not closures: one set of method code for every map, so optimised callers stay monomorphic.
class HashTree implements DigestTree {
  private readonly lo: Int32Array[] = [];
  private readonly hi: Int32Array[] = [];
  private readonly count: Uint32Array[] = [];
  private leaves: TreeMember[][] = [];

  constructor(readonly depth: number) {}

  // Allocated on the first member, so that empty maps cost nothing.
  private ensure(): void {
    if (this.lo.length !== 0) return;
    for (let l = 0; l <= this.depth; l++) {
      this.lo.push(new Int32Array(FANOUT ** l));
      this.hi.push(new Int32Array(FANOUT ** l));
      this.count.push(new Uint32Array(FANOUT ** l));
    }
    this.leaves = new Array<TreeMember[]>(FANOUT ** this.depth);
  }

  private xorIn(bucket: number, dlo: number, dhi: number, dcount: number): void {
    for (let l = 0; l <= this.depth; l++) {
      const i = bucketAt(bucket, l);
      this.lo[l]![i]! ^= dlo;
      this.hi[l]![i]! ^= dhi;
      this.count[l]![i]! += dcount;
    }
  }

  add(m: TreeMember): void {
    this.ensure();
    const leaf = bucketAt(m.bucket, this.depth);
    const list = (this.leaves[leaf] ??= []);
    m.leafPos = list.length;
    list.push(m);
    this.xorIn(m.bucket, m.lo, m.hi, 1);
  }

  remove(m: TreeMember): void {
    const list = this.leaves[bucketAt(m.bucket, this.depth)]!;
    const last = list.pop()!;
    if (last !== m) {
      list[m.leafPos] = last;
      last.leafPos = m.leafPos;
    }
    this.xorIn(m.bucket, m.lo, m.hi, -1);
  }

  rehash(m: TreeMember, nlo: number, nhi: number): void {
    this.xorIn(m.bucket, m.lo ^ nlo, m.hi ^ nhi, 0);
    m.lo = nlo;
    m.hi = nhi;
  }

  node(level: number, index: number): TreeNode {
    check(level, index);
    if (this.lo.length === 0) return { lo: 0, hi: 0, count: 0 };
    if (level <= this.depth) {
      return { lo: this.lo[level]![index]! >>> 0, hi: this.hi[level]![index]! >>> 0, count: this.count[level]![index]! };
    }
    let lo = 0;
    let hi = 0;
    let count = 0;
    for (const m of this.members(level, index)) {
      lo ^= m.lo;
      hi ^= m.hi;
      count++;
    }
    return { lo: lo >>> 0, hi: hi >>> 0, count };
  }

  members(level: number, index: number): TreeMember[] {
    check(level, index);
    if (this.lo.length === 0) return [];
    const depth = this.depth;
    if (level >= depth) {
      const list = this.leaves[index >>> (4 * (level - depth))] ?? [];
      return level === depth ? list.slice() : list.filter((m) => bucketAt(m.bucket, level) === index);
    }
    // A node above the stored leaves: concatenate its leaves (the caller asked for a whole subtree's members).
    const span = FANOUT ** (depth - level);
    const out: TreeMember[] = [];
    for (let leaf = index * span; leaf < (index + 1) * span; leaf++) {
      const list = this.leaves[leaf];
      if (list) for (const m of list) out.push(m);
    }
    return out;
  }
}

function check(level: number, index: number): void {
  if (!(Number.isInteger(level) && level >= 0 && level <= MAX_LEVEL)) throw new RangeError(`digest level ${level} out of range 0..${MAX_LEVEL}`);
  if (!(Number.isInteger(index) && index >= 0 && index < FANOUT ** level)) throw new RangeError(`digest index ${index} out of range at level ${level}`);
}

/** Create an empty tree storing levels 0..depth (default 3: 4 369 nodes, ≈ 70 KB allocated on first use). */
export function createDigestTree(depth = 3): DigestTree {
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= 6)) throw new RangeError('digestDepth must be 1..6');
  return new HashTree(depth);
}
