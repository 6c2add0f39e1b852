/**
 * The `accepted` key set of an ingest result. Most payloads are single-write deltas changing one key, where a real
 * `Set` (a hash table per call) costs more than the rest of the result; a few keys are held in a small array
 * instead, deduplicated on construction, behind the same read-only interface.
 */

/** Keys held in an array; `has` scans it, so only small lists use this form. */
class SmallKeySet implements ReadonlySet<string> {
  constructor(private readonly list: readonly string[]) {}

  get size(): number {
    return this.list.length;
  }

  has(key: string): boolean {
    return this.list.includes(key);
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const k of this.list) fn.call(thisArg, k, k, this);
  }

  entries(): SetIterator<[string, string]> {
    return this.list.map((k): [string, string] => [k, k])[Symbol.iterator]();
  }

  keys(): SetIterator<string> {
    return this.list[Symbol.iterator]();
  }

  values(): SetIterator<string> {
    return this.list[Symbol.iterator]();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.list[Symbol.iterator]();
  }
}

/** Lists up to this long are held as a {@link SmallKeySet}. */
const SMALL_MAX = 8;
const EMPTY_KEYS = new SmallKeySet([]);

/** A read-only set of `keys` (duplicates dropped); a short array is kept, not copied — pass a fresh one. */
export function keySetOf(keys: Iterable<string>): ReadonlySet<string> {
  if (!Array.isArray(keys) || keys.length > SMALL_MAX) return new Set(keys);
  const list = keys as string[];
  if (list.length === 0) return EMPTY_KEYS;
  if (list.length === 1) return new SmallKeySet(list);
  const unique: string[] = [];
  for (const k of list) if (!unique.includes(k)) unique.push(k);
  return new SmallKeySet(unique);
}
