// The binary OR-Map payload (wire-format §5.2): encodeDelta, and accept/ingest given bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHlc } from '@rumor/hlc';
import { createORMap, type NodeId, type ORMap, type ORMapData } from '@rumor/ormap';
import { createIngest, encode, encodeDelta, type Accepted, type Ingest, type IngestInit } from '@rumor/crdt-wire';
import { DRIFT_MS, NOW_MS, mutated, packed, runs, singleWritePayload, validPayload, wireValue } from './arbitraries.js';

const make = (init: IngestInit = {}): Ingest => createIngest({ maxDriftMs: DRIFT_MS, ...init }, { wallClock: () => NOW_MS });
const wire = make();

const bytesOf = (p: unknown): Uint8Array => {
  const r = encodeDelta(p as ORMapData);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));
/** What accept kept and refused, without the human-readable messages. */
const summary = (a: Accepted) => ({ data: a.data, rejected: a.rejected.map((r) => [r.index, r.code, r.key]) });
const codes = (a: Accepted) => a.rejected.map((r) => r.code);
const clone = <T>(v: T): T => structuredClone(v);
const anyPayload = fc.oneof(validPayload, singleWritePayload);

type Payload = { writers: unknown[]; entries: unknown[][]; horizon?: unknown; complete?: boolean };
const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);

/** Defects the binary form can carry, each confined to entry `i` (or to the writers it names). */
const corruptions: Record<string, (p: Payload, i: number) => boolean> = {
  noSlot: (p, i) => p.horizon === undefined && ((p.entries[i] = [p.entries[i]![0]]), true),
  keyLong: (p, i) => ((p.entries[i]![0] = 'é'.repeat(513)), true),
  writerRange: (p, i) => (((p.entries[i]![1] as unknown[])[0] = p.writers.length + 3), true),
  hlcZero: (p, i) => (((p.entries[i]![1] as unknown[])[1] = 0), true),
  drift: (p, i) => (((p.entries[i]![1] as unknown[])[1] = packed(NOW_MS + DRIFT_MS + 1)), true),
  duplicateWriter: (p, i) => (p.entries[i]!.push([...(p.entries[i]![1] as unknown[])]), true),
  valueLarge: (p, i) => (((p.entries[i]![1] as unknown[])[2] = 'x'.repeat(70_000)), true),
  valueDeep: (p, i) => (((p.entries[i]![1] as unknown[])[2] = nest(33)), true),
  writerEmpty: (p, i) => ((p.writers[(p.entries[i]![1] as number[])[0]!] = ''), true),
  writerLong: (p, i) => ((p.writers[(p.entries[i]![1] as number[])[0]!] = 'n'.repeat(65)), true),
  writerRepeated: (p, i) => {
    const w = (p.entries[i]![1] as number[])[0]!;
    if (w === 0) return false;
    p.writers[w] = p.writers[0];
    return true;
  },
};

describe('encodeDelta → accept', () => {
  it('gives back exactly the payload it encoded (identity on valid data)', () => {
    fc.assert(
      fc.property(anyPayload, (p) => {
        const r = wire.accept(bytesOf(p));
        expect(r.rejected).toEqual([]);
        expect(r.data).toEqual(p);
      }),
      { numRuns: runs(400) },
    );
  });

  it('keeps and refuses exactly what the object path does, with the same codes (defects, writers, leaf)', () => {
    const leafModes = fc.constantFrom('none', 'accept', 'refuse-strings', 'throw-on-numbers');
    fc.assert(
      fc.property(anyPayload, fc.constantFrom('none', ...Object.keys(corruptions)), fc.nat(), leafModes, (p0, kind, at, mode) => {
        const p = clone(p0) as Payload;
        if (kind !== 'none' && p.entries.length > 0) {
          const i = at % p.entries.length;
          fc.pre(p.entries[i]!.length > 1 && corruptions[kind]!(p, i));
        }
        const calls = { object: 0, bytes: 0 };
        const leafFor = (path: 'object' | 'bytes') =>
          mode === 'none'
            ? undefined
            : (v: unknown) => {
                calls[path]++;
                if (mode === 'refuse-strings') return typeof v !== 'string';
                if (mode === 'throw-on-numbers' && typeof v === 'number') throw new Error('no numbers');
                return true;
              };
        const fromObject = wire.accept(p, leafFor('object'));
        const fromBytes = wire.accept(bytesOf(p), leafFor('bytes'));
        expect(summary(fromBytes)).toEqual(summary(fromObject));
        expect(calls.bytes).toBe(calls.object);
      }),
      { numRuns: runs(600) },
    );
  });

  it('applies the per-entry bounds like the object path', () => {
    const small = make({ contextPerEntryMax: 3, siblingsPerEntryMax: 2, keyBytesMax: 4, valueBytesMax: 10, nodeIdBytesMax: 2 });
    const p = {
      writers: ['a', 'b', 'c', 'd', 'eee'],
      entries: [
        ['ok', [0, 1, 'x'], [1, 1, 'y'], [2, 1]],
        ['sib', [0, 1, 'x'], [1, 1, 'y'], [2, 1, 'z']],
        ['ctx', [0, 1], [1, 1], [2, 1], [3, 1]],
        ['long!', [0, 1]],
        ['val', [0, 1, 'x'.repeat(9)]],
        ['val2', [0, 1, 'x'.repeat(10)]],
        ['node', [4, 1]],
      ],
    };
    const fromBytes = small.accept(bytesOf(p));
    expect(summary(fromBytes)).toEqual(summary(small.accept(p)));
    expect(codes(fromBytes)).toEqual(['entry.too-many-siblings', 'entry.context-too-large', 'entry.key-too-long', 'entry.value-too-large', 'entry.bad-node']);
  });

  it('refuses a whole payload with too many writers or entries, or a bad or drifted horizon, like the object path', () => {
    const base = { writers: ['a', 'b'], entries: [['k', [0, 5, 1]]] };
    const small = make({ entriesPerPayloadMax: 1, writersPerPayloadMax: 1 });
    const cases: unknown[] = [
      { ...base, horizon: { floor: 0, vv: [[0, 1], [0, 2]] } },
      { ...base, horizon: { floor: 0, vv: [[2, 1]] } },
      { ...base, horizon: { floor: packed(NOW_MS + DRIFT_MS + 1), vv: [] } },
      { ...base, horizon: { floor: 0, vv: [[1, packed(NOW_MS + DRIFT_MS + 1)]] } },
      { ...base, horizon: { floor: 0, vv: [[0, 1], [1, 2], [1, 3]] } },
    ];
    for (const c of cases) expect(summary(wire.accept(bytesOf(c)))).toEqual(summary(wire.accept(c)));
    expect(codes(small.accept(bytesOf(base)))).toEqual(['payload.too-many-writers']);
    expect(codes(small.accept(bytesOf({ writers: ['a'], entries: [base.entries[0], base.entries[0]] })))).toEqual(['payload.too-many-entries']);
    // Complete survives only when nothing was dropped, as on the object path.
    const full = { writers: ['a'], entries: [['k', [0, 1, 1]], ['j', [0, 0, 2]]], horizon: { floor: 0, vv: [] }, complete: true };
    expect(summary(wire.accept(bytesOf(full)))).toEqual(summary(wire.accept(full)));
    expect(wire.accept(bytesOf(full)).data.complete).toBeUndefined();
  });
});

describe('accept (bytes): untrusted input', () => {
  /** Arbitrary bytes, and bytes behind a valid header so the fuzzing gets past the first check. */
  const junk = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(fc.constantFrom(0, 1, 3), fc.uint8Array({ maxLength: 96 })).map(([flags, rest]) => Uint8Array.of(1, flags, ...rest)),
    mutated(anyPayload.map(bytesOf)),
  );
  const bounds: Required<IngestInit> = {
    keyBytesMax: 8, valueBytesMax: 16, valueDepthMax: 3, nodeIdBytesMax: 8, entriesPerPayloadMax: 4,
    writersPerPayloadMax: 3, contextPerEntryMax: 3, siblingsPerEntryMax: 2, maxDriftMs: DRIFT_MS,
  };
  const bounded = make(bounds);

  it('never throws, keeps only valid data, and respects every limit', () => {
    fc.assert(
      fc.property(junk, (bytes) => {
        const copy = bytes.slice();
        for (const ingest of [wire, bounded]) {
          const r = ingest.accept(bytes);
          expect(bytes).toEqual(copy); // input untouched
          // Whatever was kept is valid: the object path keeps all of it again.
          const again = ingest.accept(r.data);
          expect(again.rejected).toEqual([]);
          expect(again.data).toEqual(r.data);
          // A payload-level refusal keeps nothing at all.
          if (r.rejected.some((j) => j.index === undefined)) expect(r.data.entries).toEqual([]);
        }
        const { data } = bounded.accept(bytes);
        expect(data.entries.length).toBeLessThanOrEqual(bounds.entriesPerPayloadMax);
        expect(data.writers.length).toBeLessThanOrEqual(bounds.writersPerPayloadMax);
        for (const w of data.writers) expect(new TextEncoder().encode(w).length).toBeLessThanOrEqual(bounds.nodeIdBytesMax);
        for (const [key, ...slots] of data.entries) {
          expect(new TextEncoder().encode(key).length).toBeLessThanOrEqual(bounds.keyBytesMax);
          expect(slots.length).toBeLessThanOrEqual(bounds.contextPerEntryMax);
          const live = slots.filter((s) => s.length === 3);
          expect(live.length).toBeLessThanOrEqual(bounds.siblingsPerEntryMax);
          for (const s of live) {
            const size = encode(s[2]);
            expect(size.ok && size.value.length <= bounds.valueBytesMax).toBe(true);
          }
          for (const s of slots) expect(s[1]).toBeLessThanOrEqual(packed(NOW_MS + DRIFT_MS, 1023));
        }
      }),
      { numRuns: runs(1500) },
    );
  });

  it('refuses every strict prefix of a payload whole, as truncated', () => {
    fc.assert(
      fc.property(anyPayload, fc.nat(), (p, at) => {
        const bytes = bytesOf(p);
        const r = wire.accept(bytes.subarray(0, at % bytes.length));
        expect(summary(r)).toEqual({ data: { writers: [], entries: [] }, rejected: [[undefined, 'delta.truncated', undefined]] });
      }),
      { numRuns: runs(300) },
    );
  });

  it('refuses bad headers, varints and trailing bytes whole', () => {
    const code = (s: string) => codes(wire.accept(hex(s)));
    expect(code('')).toEqual(['delta.truncated']);
    expect(code('02 00 00 00')).toEqual(['delta.version']);
    expect(code('01 04 00 00')).toEqual(['delta.flags']);
    expect(code('01 02 00 00')).toEqual(['delta.flags']); // complete without a horizon
    expect(code('01 00 00 00')).toEqual([]); // the empty delta
    expect(code('01 00 00 00 00')).toEqual(['delta.trailing-bytes']);
    expect(code('01 00 80 00 00')).toEqual(['delta.varint']); // overlong zero
    expect(code('01 00 ff ff ff ff 10 00')).toEqual(['delta.varint']); // 2^32
    expect(code('01 00 ff ff ff ff 8f 00')).toEqual(['delta.varint']); // a sixth byte
    // Huge declared counts cost nothing: refused by the bound, or as truncated, before any allocation.
    expect(code('01 00 ff ff ff ff 0f')).toEqual(['payload.too-many-writers']);
    expect(code('01 00 00 ff ff ff ff 0f')).toEqual(['payload.too-many-entries']);
    const unbounded = make({ writersPerPayloadMax: 2 ** 32, entriesPerPayloadMax: 2 ** 32 });
    expect(codes(unbounded.accept(hex('01 00 ff ff ff ff 0f')))).toEqual(['delta.truncated']);
    expect(codes(unbounded.accept(hex('01 00 00 ff ff ff ff 0f 00')))).toEqual(['delta.truncated']);
    // One slot declared, 7 bytes left: less than a slot's minimum of 8.
    expect(code('01 00 01 01 61 01 01 6b 01 00 00 00 00 00 00 01')).toEqual(['delta.truncated']);
  });

  it('reads any msgpack encoding of a value, and refuses what is not exactly one bounded value', () => {
    // writer 'a', key 'k', slot [0, 1, value]; `v` is the value's msgpack bytes.
    const one = (v: string) => {
      const value = hex(v);
      const r = wire.accept(Uint8Array.of(...hex('01 00 01 01 61 01 01 6b 01 01 00 00 00 00 00 00 01'), value.length, ...value));
      return r.rejected.length === 0 ? (r.data.entries[0]![1] as unknown[])[2] : r.rejected[0]!.code;
    };
    expect(one('cf 00 00 00 00 00 00 00 01')).toBe(1); // uint 64 for 1
    expect(one('d3 ff ff ff ff ff ff ff ff')).toBe(-1);
    expect(one('d0 80')).toBe(-128);
    expect(one('d1 80 00')).toBe(-32768);
    expect(one('d2 80 00 00 00')).toBe(-(2 ** 31));
    expect(one('ca 3f c0 00 00')).toBe(1.5);
    expect(one('d9 03 61 62 63')).toBe('abc'); // str 8 for a short string
    expect(one('da 00 01 78')).toBe('x');
    expect(one('c4 02 01 02')).toEqual(Uint8Array.of(1, 2));
    expect(one('81 a1 78 c3')).toEqual({ x: true });
    expect(one('a2 c3 28')).toBe('entry.value-unencodable'); // invalid UTF-8
    expect(one('01 02')).toBe('entry.value-unencodable'); // two values
    expect(one('92 01')).toBe('entry.value-unencodable'); // cut array
    expect(one('d4 01 00')).toBe('entry.value-unencodable'); // ext
    expect(one('c1')).toBe('entry.value-unencodable');
    expect(one('81 a9 5f 5f 70 72 6f 74 6f 5f 5f 01')).toBe('entry.value-unencodable'); // __proto__
    const deep = (n: number) => '91 '.repeat(n) + '01';
    expect(one(deep(32))).toEqual(nest(32));
    expect(one(deep(33))).toBe('entry.value-unencodable');
  });

  it('treats node ids and keys that are not UTF-8 as the object path treats non-strings', () => {
    // writers: ['a', <ff>]; entries: 'k' by writer 1, 'j' by writer 0, <c3 28> by writer 0.
    const r = wire.accept(hex('01 00 02 01 61 01 ff 03  01 6b 01 02 00 00 00 00 00 00 01  01 6a 01 00 00 00 00 00 00 00 01  02 c3 28 01 00 00 00 00 00 00 00 01'));
    expect(summary(r)).toEqual({
      data: { writers: ['a'], entries: [['j', [0, 1]]] },
      rejected: [[0, 'entry.bad-node', 'k'], [2, 'entry.key-type', undefined]],
    });
  });
});

describe('ingest (bytes) into @rumor/ormap', () => {
  const replica = (): ORMap<unknown> => createORMap<unknown>({ nodeId: 'local' as NodeId }, { clock: createHlc({}, { wallClock: () => NOW_MS }) });

  it('leaves the replica as the object path would, and reports the same changed keys', () => {
    fc.assert(
      fc.property(validPayload, anyPayload, (initial, incoming) => {
        const viaBytes = replica();
        const viaObject = replica();
        viaBytes.merge(initial);
        viaObject.merge(initial);
        const a = wire.ingest(viaBytes, bytesOf(incoming));
        const b = wire.ingest(viaObject, incoming);
        expect(viaBytes.snapshot()).toEqual(viaObject.snapshot());
        expect([...a.accepted].sort()).toEqual([...b.accepted].sort());
        for (const k of b.accepted) expect(a.accepted.has(k)).toBe(true);
        expect(a.accepted.size).toBe(b.accepted.size);
      }),
      { numRuns: runs(300) },
    );
  });

  it('never changes the replica for refused or fuzzed bytes beyond what was accepted', () => {
    const fuzz = fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(anyPayload.map(bytesOf)));
    fc.assert(
      fc.property(validPayload, fuzz, (initial, bytes) => {
        const local = replica();
        const reference = replica();
        local.merge(initial);
        reference.merge(initial);
        const r = wire.ingest(local, bytes);
        const accepted = wire.accept(bytes);
        if (accepted.data.entries.length > 0 || accepted.data.horizon !== undefined) reference.merge(accepted.data);
        expect(local.snapshot()).toEqual(reference.snapshot());
        if (r.rejected.some((j) => j.index === undefined)) {
          expect(r.accepted.size).toBe(0);
          expect(local.snapshot()).toEqual(replicaWith(initial).snapshot());
        }
      }),
      { numRuns: runs(500) },
    );
    function replicaWith(data: ORMapData) {
      const m = replica();
      m.merge(data);
      return m;
    }
  });
});

describe('encodeDelta', () => {
  it('writes the examples of docs/wire-format.md §5.2 byte for byte', () => {
    expect(bytesOf({ writers: ['n1'], entries: [['color', [0, 1_740_800_000_000_003, 'red']]] })).toEqual(
      hex('01 00 01 02 6e 31 01 05 63 6f 6c 6f 72 01 01 06 2f 3f 95 a0 00 03 04 a3 72 65 64'),
    );
    expect(bytesOf({ writers: ['n1'], entries: [['color', [0, 1_740_800_000_000_900]]] })).toEqual(
      hex('01 00 01 02 6e 31 01 05 63 6f 6c 6f 72 01 00 06 2f 3f 95 a0 03 84'),
    );
    const snapshot = { writers: ['n1', 'n2'], entries: [['a', [0, 1025, 'x'], [1, 2048]], ['b']], horizon: { floor: 0, vv: [[1, 1024]] }, complete: true };
    expect(bytesOf(snapshot)).toEqual(
      hex(`01 03  02 02 6e 31 02 6e 32  00 00 00 00 00 00 00 01 01 00 00 00 00 00 04 00
           02  01 61 02 01 00 00 00 00 00 04 01 02 a1 78 02 00 00 00 00 00 08 00  01 62 00`),
    );
  });

  it('embeds each value as the bounded msgpack codec encodes it', () => {
    fc.assert(
      fc.property(wireValue(3), (v) => {
        const bytes = bytesOf({ writers: ['w'], entries: [['k', [0, 1, v]]] });
        const msgpack = encode(v);
        expect(msgpack.ok).toBe(true);
        if (!msgpack.ok) return;
        expect(bytes.subarray(bytes.length - msgpack.value.length)).toEqual(msgpack.value);
        expect((wire.accept(bytes).data.entries[0]![1] as unknown[])[2]).toEqual(v);
      }),
      { numRuns: runs(400) },
    );
    // Every integer width and sign, and floats.
    for (const v of [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1, 0.5, -0.5, 2 ** 53, Number.NaN, Infinity, -Infinity, 1e300]) {
      const bytes = bytesOf({ writers: ['w'], entries: [['k', [0, 1, v]]] });
      const msgpack = encode(v);
      expect(msgpack.ok && bytes.subarray(bytes.length - msgpack.value.length)).toEqual(msgpack.ok && msgpack.value);
      expect((wire.accept(bytes).data.entries[0]![1] as unknown[])[2]).toEqual(v);
    }
  });

  it('refuses what the form cannot carry, without throwing, and keeps working after', () => {
    const hostile = { writers: ['a'], get entries(): never { throw new Error('gotcha'); } };
    const bad: unknown[] = [
      null,
      42,
      { writers: 'a', entries: [] },
      { writers: ['a\ud800'], entries: [] },
      { writers: ['a'], entries: [['k\udc00', [0, 1]]] },
      { writers: ['a'], entries: [['k', [0, -1]]] },
      { writers: ['a'], entries: [['k', [0, 1.5]]] },
      { writers: ['a'], entries: [['k', [0, 2 ** 53]]] },
      { writers: ['a'], entries: [['k', [-1, 1]]] },
      { writers: ['a'], entries: [['k', [0]]] },
      { writers: ['a'], entries: [[7, [0, 1]]] },
      { writers: ['a'], entries: [['k', [0, 1, undefined]]] },
      { writers: ['a'], entries: [['k', [0, 1, 10n]]] },
      { writers: ['a'], entries: [['k', [0, 1, new Date(0)]]] },
      { writers: ['a'], entries: [['k', [0, 1, [undefined]]]] },
      { writers: ['a'], entries: [['k', [0, 1, () => 1]]] },
      { writers: ['a'], entries: [], complete: true },
      { writers: ['a'], entries: [], horizon: { floor: -1, vv: [] } },
      { writers: ['a'], entries: [], horizon: { floor: 0, vv: [[0]] } },
      hostile,
    ];
    for (const p of bad) {
      const r = encodeDelta(p as ORMapData);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('codec.unencodable');
    }
    expect(bytesOf({ writers: ['a'], entries: [['k', [0, 1, 'v']]] })).toEqual(hex('01 00 01 01 61 01 01 6b 01 01 00 00 00 00 00 00 01 02 a1 76'));
  });

  it('is smaller than the object form for a single write', () => {
    fc.assert(
      fc.property(singleWritePayload, (p) => {
        const object = encode(p);
        expect(object.ok && bytesOf(p).length < object.value.length).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });
});
