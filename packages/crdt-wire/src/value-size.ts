/**
 * The msgpack-encoded size of a value, measured without encoding it (issue 2: "bounds on value bytes"), and whether
 * it is a wire value at all. Ingest uses it to bound each sibling's value and to refuse values that would not cross
 * the wire unchanged — a local replica keeping a value its peers would receive differently would never converge.
 */
import { utf8Length } from './utf8.js';

/** Size result meaning "not a wire value" (unencodable, or would not decode to the same value). */
export const NOT_WIRE = -1;

/**
 * Encoded size of `value` in bytes as `encode` would produce it; stops early and returns a number above `max` once
 * the size passes `max`, and returns {@link NOT_WIRE} for values outside the wire domain: undefined (except as an
 * omitted object property), bigint, symbol, function, strings with lone surrogates, objects that are not arrays,
 * plain objects or byte arrays, `__proto__` keys, and nesting deeper than `depthMax` (which also stops cycles).
 */
export function wireSize(value: unknown, max: number, depthMax: number): number {
  let total = 0;
  // Iterative walk: the budget and depth bound the work even for hostile in-process objects.
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop()!;
    switch (typeof v) {
      case 'boolean':
        total += 1;
        break;
      case 'number':
        total += numberSize(v);
        break;
      case 'string': {
        const n = utf8Length(v);
        if (n < 0) return NOT_WIRE;
        total += headerSize(n, 32) + n;
        break;
      }
      case 'object': {
        if (v === null) {
          total += 1;
          break;
        }
        if (depth >= depthMax) return NOT_WIRE;
        if (Array.isArray(v)) {
          total += headerSize(v.length, 16);
          for (let i = v.length - 1; i >= 0; i--) {
            const item: unknown = v[i];
            if (item === undefined) return NOT_WIRE; // would arrive as null
            stack.push(item);
            depths.push(depth + 1);
          }
        } else if (v instanceof Uint8Array) {
          total += (v.length < 0x100 ? 2 : v.length < 0x10000 ? 3 : 5) + v.length;
        } else {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) return NOT_WIRE;
          let count = 0;
          for (const k of Object.keys(v)) {
            const item = (v as Record<string, unknown>)[k];
            if (item === undefined) continue; // omitted by the encoder
            if (k === '__proto__') return NOT_WIRE;
            const n = utf8Length(k);
            if (n < 0) return NOT_WIRE;
            total += headerSize(n, 32) + n;
            count++;
            stack.push(item);
            depths.push(depth + 1);
          }
          total += headerSize(count, 16);
        }
        break;
      }
      default: // undefined, bigint, symbol, function
        return NOT_WIRE;
    }
    if (total > max) return total;
  }
  return total;
}

/** Header bytes for a string (fix limit 32) or array/map (fix limit 16) of length `n`. */
function headerSize(n: number, fixLimit: number): number {
  if (n < fixLimit) return 1;
  if (fixLimit === 32 && n < 0x100) return 2; // str 8
  return n < 0x10000 ? 3 : 5;
}

function numberSize(v: number): number {
  if (!Number.isSafeInteger(v)) return 9; // float 64
  if (v >= 0) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v < 0x100000000 ? 5 : 9;
  return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : v >= -0x80000000 ? 5 : 9;
}
