/**
 * A sorted index of keys for ordered iteration and prefix scans: a list of sorted chunks (a flat B+-tree leaf level).
 * Insert and remove cost O(log n + chunk size); a scan seeks in O(log n) and then walks. Keys are ordered by UTF-16
 * code units (JavaScript `<`), the same order on every replica. Iterators survive mutations of the index (they
 * re-seek after the last key they returned).
 */

/** The index. */
export interface SortedKeys {
  insert(key: string): void;
  remove(key: string): void;
  /** Keys in order, starting at the first key ≥ `from` (or > `from` when `exclusive`). */
  from(from: string, exclusive: boolean): IterableIterator<string>;
  readonly size: number;
}

// First position in a sorted chunk with element ≥ key.
function lowerBound(c: string[], key: string): number {
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// A class, not closures: one set of method code for every map, so optimised callers stay monomorphic.
class ChunkedKeys implements SortedKeys {
  private readonly chunks: string[][] = [];
  private count = 0;
  // Bumped by every mutation so that an iterator re-seeks after its caller inserted or removed keys.
  private version = 0;

  constructor(private readonly chunkMax: number) {}

  get size(): number {
    return this.count;
  }

  // First chunk whose last key is ≥ key (the last chunk if none).
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      if (c[c.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(key: string): void {
    const chunks = this.chunks;
    this.version++;
    if (chunks.length === 0) {
      chunks.push([key]);
      this.count = 1;
      return;
    }
    // Keys arriving in order (a snapshot, sequential ids) go after the last one: one comparison, and full chunks.
    const tail = chunks[chunks.length - 1]!;
    if (tail[tail.length - 1]! < key) {
      if (tail.length < this.chunkMax) tail.push(key);
      else chunks.push([key]);
      this.count++;
      return;
    }
    const ci = this.chunkFor(key);
    const c = chunks[ci]!;
    const i = lowerBound(c, key);
    if (c[i] === key) return;
    if (i === c.length) c.push(key);
    else c.splice(i, 0, key);
    this.count++;
    if (c.length > this.chunkMax) chunks.splice(ci + 1, 0, c.splice(c.length >>> 1));
  }

  remove(key: string): void {
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    const ci = this.chunkFor(key);
    const c = chunks[ci]!;
    const i = lowerBound(c, key);
    if (c[i] !== key) return;
    this.version++;
    c.splice(i, 1);
    this.count--;
    if (c.length === 0) chunks.splice(ci, 1);
  }

  *from(from: string, exclusive: boolean): IterableIterator<string> {
    const chunks = this.chunks;
    let seen = -1;
    let ci = 0;
    let i = 0;
    let last = from;
    let excl = exclusive;
    for (;;) {
      if (seen !== this.version) {
        // (Re)seek: first use, or the caller mutated the index while iterating.
        if (chunks.length === 0) return;
        seen = this.version;
        ci = this.chunkFor(last);
        i = lowerBound(chunks[ci]!, last);
        if (excl && chunks[ci]![i] === last) i++;
        excl = true;
      }
      const c = chunks[ci];
      if (c === undefined) return;
      if (i >= c.length) {
        ci++;
        i = 0;
        continue;
      }
      last = c[i++]!;
      yield last;
    }
  }
}

/** Create an empty index; `chunkMax` bounds the cost of one insert (default 512). */
export function createSortedKeys(chunkMax = 512): SortedKeys {
  return new ChunkedKeys(chunkMax);
}
