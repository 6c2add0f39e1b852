// Shared fast-check arbitraries for crdt-wire tests: wire values (the codec's domain) and envelopes.
import fc from 'fast-check';
import { utf8Length, type Envelope, type Layer } from '@rumor/crdt-wire';

/** A wire value: what `encode` accepts and `decode` gives back unchanged. */
export type WireValue = null | boolean | number | string | Uint8Array | WireValue[] | { [k: string]: WireValue };

// -0 encodes as the integer 0 (msgpack has no negative zero integer); every other double round-trips exactly.
const number = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
);
const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');

/** Wire values nested at most `depth` deep. */
export function wireValue(depth = 4): fc.Arbitrary<WireValue> {
  const { value } = fc.letrec<{ value: WireValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      fc.constant(null),
      fc.boolean(),
      number,
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.uint8Array({ maxLength: 24 }),
      fc.array(tie('value'), { maxLength: 6 }),
      fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }),
    ),
  }));
  return value;
}

const layer = fc.constantFrom<Layer>('membership', 'broadcast', 'replica');
/** Valid message types: `[a-z][a-z0-9-]*`, 1..32 characters. */
export const messageType = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);

/** Valid envelopes of the current protocol version. */
export const envelope: fc.Arbitrary<Envelope> = fc.record({
  v: fc.constant(1),
  layer,
  type: messageType,
  body: wireValue(3),
});

/** Depth (arrays and maps), total entries and longest string (UTF-8 bytes) / bin of a decoded value. */
export function measure(value: unknown): { depth: number; entries: number; stringBytes: number; binBytes: number } {
  const enc = new TextEncoder();
  let entries = 0;
  let stringBytes = 0;
  let binBytes = 0;
  const walk = (v: unknown): number => {
    if (typeof v === 'string') stringBytes = Math.max(stringBytes, enc.encode(v).length);
    if (v instanceof Uint8Array) binBytes = Math.max(binBytes, v.length);
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return 0;
    const children = Array.isArray(v) ? v : Object.values(v);
    if (!Array.isArray(v)) for (const k of Object.keys(v)) stringBytes = Math.max(stringBytes, enc.encode(k).length);
    entries += children.length;
    let d = 0;
    for (const c of children) d = Math.max(d, walk(c));
    return children.length === 0 ? 1 : d + 1;
  };
  const depth = walk(value);
  return { depth, entries, stringBytes, binBytes };
}

/** Byte-level mutations of a valid encoding: flips, overwrites, insertions, deletions, truncations. */
export function mutated(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  });
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => {
    let b = Array.from(bytes);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << (e.byte % 8));
      else if (e.kind === 'set' && b.length > 0) b[at] = e.byte;
      else if (e.kind === 'insert') b.splice(at, 0, e.byte);
      else if (e.kind === 'delete') b.splice(at, 1);
      else b = b.slice(0, at);
    }
    return Uint8Array.from(b);
  });
}

/** Run count scaled by RUNS_SCALE (vitest.setup.ts), for properties that set their own count. */
export const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.RUNS_SCALE ?? 1)));

/** The fixed local wall clock of ingest tests, and the drift bound they use. */
export const NOW_MS = 1_700_000_000_000;
export const DRIFT_MS = 60_000;

/** Packed HLC of a wall time and logical counter (wall·2^10 + logical, as @rumor/hlc packs). */
export const packed = (wallMs: number, logical = 0): number => wallMs * 1024 + logical;

/** Node ids: 1..64 UTF-8 bytes, well-formed. */
export const nodeId = fc
  .oneof(fc.string({ minLength: 1, maxLength: 24 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }))
  .filter((s) => utf8Length(s) > 0 && utf8Length(s) <= 64);

/** A packed HLC > 0 and no further ahead than the drift bound allows at NOW_MS. */
export const dotHlc = fc.oneof(
  fc.integer({ min: 1, max: packed(NOW_MS + DRIFT_MS, 1023) }),
  fc.integer({ min: packed(NOW_MS - 10_000), max: packed(NOW_MS + DRIFT_MS, 1023) }),
);

/** A valid OR-Map payload (ormap types.ts validity) for the default limits at NOW_MS. */
export const validPayload = fc
  .uniqueArray(nodeId, { minLength: 1, maxLength: 6 })
  .chain((writers) => {
    const slot = (w: number) =>
      fc.oneof(
        fc.tuple(fc.constant(w), dotHlc),
        fc.tuple(fc.constant(w), dotHlc, wireValue(3)),
      );
    const entry = fc
      .tuple(
        fc.string({ maxLength: 16 }).filter((s) => utf8Length(s) >= 0),
        fc.shuffledSubarray(writers.map((_, i) => i), { minLength: 1 }),
      )
      .chain(([key, ws]) => fc.tuple(...ws.map(slot)).map((slots) => [key, ...slots] as unknown[]));
    const horizon = fc.record({
      floor: fc.integer({ min: 0, max: packed(NOW_MS) }),
      vv: fc
        .shuffledSubarray(writers.map((_, i) => i))
        .chain((ws) => fc.tuple(...ws.map((w) => fc.tuple(fc.constant(w), fc.integer({ min: 0, max: packed(NOW_MS) }))))),
    });
    const bare = fc.string({ maxLength: 16 }).filter((s) => utf8Length(s) >= 0).map((key) => [key] as unknown[]);
    // Without a horizon: a plain delta. With one: authoritative, may list keys with no slot, may be complete.
    return fc.oneof(
      fc.record({ writers: fc.constant(writers), entries: fc.array(entry, { maxLength: 8 }) }),
      fc.record(
        {
          writers: fc.constant(writers),
          entries: fc.array(fc.oneof({ arbitrary: entry, weight: 4 }, { arbitrary: bare, weight: 1 }), { maxLength: 8 }),
          horizon,
          complete: fc.constant(true as const),
        },
        { requiredKeys: ['writers', 'entries', 'horizon'] },
      ),
    );
  });

/** The delta of one local write or delete (one writer, one entry, one slot): the hot path of the binary form. */
export const singleWritePayload = fc
  .tuple(
    nodeId,
    fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: 'grapheme', maxLength: 6 })).filter((s) => utf8Length(s) >= 0),
    dotHlc,
    fc.option(wireValue(2), { nil: undefined }),
  )
  .map(([writer, key, hlc, value]) => ({
    writers: [writer],
    entries: [[key, value === undefined ? [0, hlc] : [0, hlc, value]]] as unknown[][],
  }));
