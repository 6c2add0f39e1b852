/**
 * A stable text form of plain data, used to compare replica states: object keys sorted, Sets and Maps sorted by
 * the stable form of their elements, so two states that are equal as data print the same.
 */

/** Stable JSON-like text of `value` (Maps, Sets, bigint, undefined and typed arrays supported). */
export function stableStringify(value: unknown): string {
  return walk(value, new Set());
}

function walk(v: unknown, seen: Set<object>): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return `<${typeof v}>`;
  if (seen.has(v)) return '<cycle>';
  seen.add(v);
  try {
    if (Array.isArray(v)) return `[${v.map((x) => walk(x, seen)).join(',')}]`;
    if (ArrayBuffer.isView(v)) return `bytes(${Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).join(',')})`;
    if (v instanceof Set) return `Set{${[...v].map((x) => walk(x, seen)).sort().join(',')}}`;
    if (v instanceof Map) {
      return `Map{${[...v].map(([k, x]) => `${walk(k, seen)}=>${walk(x, seen)}`).sort().join(',')}}`;
    }
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k], seen)}`).join(',')}}`;
  } finally {
    seen.delete(v);
  }
}
