import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ORMapData } from '@rumor/ormap';
import { createIngest, decode, encode, type Ingest, type MergeTarget } from '@rumor/crdt-wire';
import { DRIFT_MS, NOW_MS, packed, runs, validPayload } from './arbitraries.js';

const make = (init = {}, now = NOW_MS): Ingest => createIngest({ maxDriftMs: DRIFT_MS, ...init }, { wallClock: () => now });
const wire = make();

/** A merge target that records what it is given (ingest's only contact with the local map). */
function recorder(changed?: string[]): MergeTarget & { calls: ORMapData[] } {
  const calls: ORMapData[] = [];
  return {
    calls,
    merge(data) {
      calls.push(data);
      return changed;
    },
  };
}

type Payload = { writers: unknown[]; entries: unknown[][]; horizon?: unknown; complete?: boolean };
const clone = <T>(v: T): T => structuredClone(v);

/** One targeted defect in entry `i` of a valid payload, and the code it must be rejected with. */
const corruptions: Record<string, { code: string; apply(p: Payload, i: number): boolean }> = {
  notArray: { code: 'entry.shape', apply: (p, i) => ((p.entries[i] = { key: 'k' } as never), true) },
  noSlot: { code: 'entry.shape', apply: (p, i) => p.horizon === undefined && ((p.entries[i] = [p.entries[i]![0]]), true) },
  keyNumber: { code: 'entry.key-type', apply: (p, i) => ((p.entries[i]![0] = 42), true) },
  keySurrogate: { code: 'entry.key-type', apply: (p, i) => ((p.entries[i]![0] = 'a\ud800'), true) },
  keyLong: { code: 'entry.key-too-long', apply: (p, i) => ((p.entries[i]![0] = 'é'.repeat(513)), true) },
  slotShape: { code: 'entry.bad-slot', apply: (p, i) => ((p.entries[i]![1] = [0]), true) },
  slotObject: { code: 'entry.bad-slot', apply: (p, i) => ((p.entries[i]![1] = { w: 0, hlc: 1 }), true) },
  writerRange: { code: 'entry.bad-node', apply: (p, i) => (((p.entries[i]![1] as unknown[])[0] = p.writers.length), true) },
  writerNegative: { code: 'entry.bad-node', apply: (p, i) => (((p.entries[i]![1] as unknown[])[0] = -1), true) },
  writerFloat: { code: 'entry.bad-node', apply: (p, i) => (((p.entries[i]![1] as unknown[])[0] = 0.5), true) },
  writerString: { code: 'entry.bad-node', apply: (p, i) => (((p.entries[i]![1] as unknown[])[0] = '0'), true) },
  hlcZero: { code: 'entry.bad-dot', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = 0), true) },
  hlcNegative: { code: 'entry.bad-dot', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = -5), true) },
  hlcFloat: { code: 'entry.bad-dot', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = 1.5), true) },
  hlcHuge: { code: 'entry.bad-dot', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = 2 ** 60), true) },
  hlcString: { code: 'entry.bad-dot', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = '123'), true) },
  drift: { code: 'hlc.drift', apply: (p, i) => (((p.entries[i]![1] as unknown[])[1] = packed(NOW_MS + DRIFT_MS + 1)), true) },
  duplicateWriter: { code: 'entry.duplicate-writer', apply: (p, i) => (p.entries[i]!.push([...(p.entries[i]![1] as unknown[])]), true) },
  valueLarge: { code: 'entry.value-too-large', apply: (p, i) => (((p.entries[i]![1] as unknown[])[2] = 'x'.repeat(70_000)), true) },
  valueUndefined: { code: 'entry.value-unencodable', apply: (p, i) => (((p.entries[i]![1] as unknown[])[2] = undefined), ((p.entries[i]![1] as unknown[]).length = 3), true) },
  valueBigint: { code: 'entry.value-unencodable', apply: (p, i) => (((p.entries[i]![1] as unknown[])[2] = { n: 1n }), true) },
  valueDate: { code: 'entry.value-unencodable', apply: (p, i) => (((p.entries[i]![1] as unknown[])[2] = [new Date(0)]), true) },
};

describe('accept', () => {
  it('keeps every entry of a valid payload, unchanged', () => {
    fc.assert(
      fc.property(validPayload, (p) => {
        const r = wire.accept(p);
        expect(r.rejected).toEqual([]);
        expect(r.data).toEqual(p);
      }),
      { numRuns: runs(300) },
    );
  });

  it('keeps nothing of anything that is not an OR-Map state, and never throws', () => {
    const junk = fc.oneof(
      fc.anything(),
      fc.record({ writers: fc.anything(), entries: fc.anything() }),
      fc.record({ writers: fc.array(fc.anything()), entries: fc.array(fc.anything()), horizon: fc.anything() }),
      fc.record({
        writers: fc.array(fc.oneof(fc.string(), fc.anything())),
        entries: fc.array(fc.array(fc.oneof(fc.string(), fc.array(fc.oneof(fc.nat(3), fc.integer(), fc.anything()))))),
      }),
    );
    fc.assert(
      fc.property(junk, (x) => {
        const before = clone(x);
        const r = wire.accept(x);
        expect(x).toEqual(before); // input untouched
        // Whatever it kept is valid: validating it again keeps all of it.
        const again = wire.accept(r.data);
        expect(again.rejected).toEqual([]);
        expect(again.data).toEqual(r.data);
      }),
      { numRuns: runs(1000) },
    );
    for (const x of [null, undefined, 1, 'x', [], [[]], { writers: 'a', entries: [] }, { entries: [] }]) {
      const r = wire.accept(x);
      expect(r.data.entries).toEqual([]);
      expect(r.rejected.map((j) => j.code)).toEqual(['payload.shape']);
    }
  });

  it('refuses exactly the entry with a near-miss defect, with its code, and keeps the others', () => {
    const kind = fc.constantFrom(...Object.keys(corruptions));
    const withEntry = validPayload.filter((p) => p.entries.length > 0);
    fc.assert(
      fc.property(withEntry, kind, fc.nat(), (p0, k, at) => {
        const p = clone(p0) as Payload;
        const i = at % p.entries.length;
        const c = corruptions[k]!;
        fc.pre(p.entries[i]!.length > 1 || k === 'notArray' || k === 'keyNumber');
        fc.pre(c.apply(p, i));
        const r = wire.accept(p);
        expect(r.rejected.map((j) => [j.index, j.code])).toEqual([[i, c.code]]);
        expect(r.data.entries).toEqual(p0.entries.filter((_, j) => j !== i));
        // A complete payload missing an entry is no longer complete: it still speaks for the keys it lists.
        expect(r.data.horizon).toEqual(p0.horizon);
        expect(r.data.complete).toBeUndefined();
      }),
      { numRuns: runs(1000) },
    );
  });

  it('counts a leaf validator that refuses or throws as a rejection, and only sees live values', () => {
    fc.assert(
      fc.property(validPayload, fc.constantFrom('refuse', 'throw', 'weird-throw'), (p, mode) => {
        const seen: unknown[] = [];
        const leaf = (v: unknown, key: string) => {
          seen.push(key);
          if (typeof v !== 'string') return true;
          if (mode === 'refuse') return false;
          if (mode === 'throw') throw new Error('no strings');
          throw Object.defineProperty({}, 'toString', { get() { throw new Error('gotcha'); } });
        };
        const r = wire.accept(p, leaf);
        const hasString = p.entries.map((e) => e.slice(1).some((s) => typeof (s as unknown[])[2] === 'string'));
        const code = mode === 'refuse' ? 'entry.leaf-rejected' : 'entry.leaf-threw';
        expect(r.rejected.map((j) => [j.index, j.code])).toEqual(
          hasString.flatMap((h, i) => (h ? [[i, code]] : [])),
        );
        expect(r.data.entries).toEqual(p.entries.filter((_, i) => !hasString[i]));
        const liveSlots = p.entries.reduce((n, e) => n + e.slice(1).filter((s) => (s as unknown[]).length === 3).length, 0);
        expect(seen.length).toBeLessThanOrEqual(liveSlots);
      }),
      { numRuns: runs(300) },
    );
  });

  it('applies the drift bound against the injected wall clock', () => {
    const p = { writers: ['a'], entries: [['k', [0, packed(NOW_MS + DRIFT_MS), 'v']]] };
    expect(make({}, NOW_MS).accept(p).rejected).toEqual([]);
    expect(make({}, NOW_MS - 1).accept(p).rejected.map((r) => r.code)).toEqual(['hlc.drift']);
    expect(make({ maxDriftMs: DRIFT_MS - 1 }, NOW_MS).accept(p).rejected.map((r) => r.code)).toEqual(['hlc.drift']);
    expect(make({}, Number.NaN).accept(p).rejected.map((r) => r.code)).toEqual(['hlc.drift']);
  });

  it('refuses entries naming an invalid or repeated node id, and re-indexes the survivors', () => {
    const long = 'n'.repeat(65);
    const p = {
      writers: ['a', '', 'b', 'a', long, 7, 'c'],
      entries: [
        ['k1', [0, 5, 'a']],
        ['k2', [1, 5, 'empty id']],
        ['k3', [2, 5, 'b'], [6, 6]],
        ['k4', [3, 5, 'repeated a']],
        ['k5', [4, 5, 'long']],
        ['k6', [5, 5, 'number']],
      ],
      horizon: { floor: 3, vv: [[6, 4]] },
    };
    const r = wire.accept(p);
    expect(r.rejected.map((j) => [j.key, j.code])).toEqual([
      ['k2', 'entry.bad-node'], ['k4', 'entry.bad-node'], ['k5', 'entry.bad-node'], ['k6', 'entry.bad-node'],
    ]);
    expect(r.data).toEqual({
      writers: ['a', 'b', 'c'],
      entries: [['k1', [0, 5, 'a']], ['k3', [1, 5, 'b'], [2, 6]]],
      horizon: { floor: 3, vv: [[2, 4]] },
    });
  });

  it('refuses the whole payload for a bad horizon or too many entries or writers', () => {
    const base = { writers: ['a'], entries: [['k', [0, 5, 1]]] };
    const codes = (x: unknown, w = wire) => w.accept(x).rejected.map((r) => r.code);
    expect(codes({ ...base, horizon: { floor: -1, vv: [] } })).toEqual(['payload.bad-horizon']);
    expect(codes({ ...base, horizon: { floor: 0, vv: [[0, 1], [0, 2]] } })).toEqual(['payload.bad-horizon']);
    expect(codes({ ...base, horizon: { floor: 0, vv: [[1, 1]] } })).toEqual(['payload.bad-horizon']);
    expect(codes({ ...base, horizon: { floor: 0 } })).toEqual(['payload.bad-horizon']);
    expect(codes({ ...base, horizon: null })).toEqual(['payload.bad-horizon']);
    expect(codes({ ...base, horizon: { floor: packed(NOW_MS + DRIFT_MS + 1), vv: [] } })).toEqual(['hlc.drift']);
    expect(codes({ ...base, horizon: { floor: 0, vv: [[0, packed(NOW_MS + DRIFT_MS + 1)]] } })).toEqual(['hlc.drift']);
    expect(wire.accept({ ...base, horizon: { floor: 0, vv: [] } }).data.entries).toHaveLength(1);
    const small = make({ entriesPerPayloadMax: 2, writersPerPayloadMax: 2 });
    expect(codes({ writers: ['a'], entries: [base.entries[0], base.entries[0]] }, small)).toEqual([]);
    expect(codes({ writers: ['a'], entries: [base.entries[0], base.entries[0], base.entries[0]] }, small)).toEqual(['payload.too-many-entries']);
    expect(codes({ writers: ['a', 'b', 'c'], entries: [] }, small)).toEqual(['payload.too-many-writers']);
  });

  it('allows a slotless entry only in an authoritative payload, and complete only with a horizon', () => {
    const codes = (x: unknown) => wire.accept(x).rejected.map((r) => r.code);
    expect(codes({ writers: [], entries: [['gone']] })).toEqual(['entry.shape']);
    expect(codes({ writers: [], entries: [['gone']], horizon: { floor: 0, vv: [] } })).toEqual([]);
    expect(codes({ writers: [], entries: [], complete: true })).toEqual(['payload.shape']);
    expect(codes({ writers: [], entries: [], horizon: { floor: 0, vv: [] }, complete: 'yes' })).toEqual(['payload.shape']);
    const full = { writers: ['a'], entries: [['k', [0, 1, 1]], ['j', [0, 2, 'x'.repeat(70_000)]]], horizon: { floor: 0, vv: [] }, complete: true };
    expect(wire.accept({ ...full, entries: [full.entries[0]] }).data.complete).toBe(true);
    const partial = wire.accept(full);
    expect(partial.rejected.map((r) => r.code)).toEqual(['entry.value-too-large']);
    expect(partial.data).toEqual({ writers: ['a'], entries: [['k', [0, 1, 1]]], horizon: { floor: 0, vv: [] } });
  });

  it('bounds context and siblings per entry', () => {
    const w = make({ contextPerEntryMax: 3, siblingsPerEntryMax: 2 });
    const p = (slots: unknown[]) => ({ writers: ['a', 'b', 'c', 'd'], entries: [['k', ...slots]] });
    const codes = (x: unknown) => w.accept(x).rejected.map((r) => r.code);
    expect(codes(p([[0, 1, 'x'], [1, 1, 'y'], [2, 1]]))).toEqual([]);
    expect(codes(p([[0, 1, 'x'], [1, 1, 'y'], [2, 1, 'z']]))).toEqual(['entry.too-many-siblings']);
    expect(codes(p([[0, 1], [1, 1], [2, 1], [3, 1]]))).toEqual(['entry.context-too-large']);
  });

  it('bounds value bytes by their encoded size, exactly', () => {
    const w = make({ valueBytesMax: 10 });
    const p = (v: unknown) => ({ writers: ['a'], entries: [['k', [0, 1, v]]] });
    const nine = 'x'.repeat(8); // fixstr: 1 + 8 = 9 bytes
    expect(w.accept(p(nine + 'x')).rejected).toEqual([]); // 10 bytes
    expect(w.accept(p(nine + 'xx')).rejected.map((r) => r.code)).toEqual(['entry.value-too-large']);
    expect(w.accept(p([1, 2, 3, 4, 5, 6, 7, 8, 9])).rejected).toEqual([]); // 1 + 9
    expect(w.accept(p([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).rejected.map((r) => r.code)).toEqual(['entry.value-too-large']);
  });

  it('survives the round trip through the codec: a decoded valid payload is accepted whole', () => {
    fc.assert(
      fc.property(validPayload, (p) => {
        const bytes = encode(p);
        expect(bytes.ok).toBe(true);
        const back = bytes.ok ? decode(bytes.value) : undefined;
        const r = wire.accept(back?.ok ? back.value : undefined);
        expect(r.rejected).toEqual([]);
        expect(r.data).toEqual(p);
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('validEntry', () => {
  it('agrees with accept on single entries', () => {
    fc.assert(
      fc.property(validPayload, fc.constantFrom(...Object.keys(corruptions)), fc.boolean(), (p0, k, corrupt) => {
        const p = clone(p0) as Payload;
        fc.pre(p.entries.length > 0 && p.entries[0]!.length > 1);
        if (corrupt) fc.pre(corruptions[k]!.apply(p, 0));
        const one = wire.validEntry(p.entries[0], p.writers);
        const all = wire.accept({ writers: p.writers, entries: [p.entries[0]] });
        expect(one.ok).toBe(all.rejected.length === 0);
        if (!one.ok) expect(one.error.code).toBe(all.rejected[0]!.code);
        else expect(one.value).toBe(p.entries[0]);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('ingest', () => {
  it('merges exactly the accepted data, once, and reports its keys', () => {
    fc.assert(
      fc.property(validPayload, fc.constantFrom(...Object.keys(corruptions), 'none'), (p0, k) => {
        const p = clone(p0) as Payload;
        if (k !== 'none' && p.entries.length > 0 && p.entries[0]!.length > 1) corruptions[k]!.apply(p, 0);
        const target = recorder();
        const r = wire.ingest(target, p);
        const expected = wire.accept(p);
        expect(r.merged).toEqual(expected.data);
        expect(r.rejected).toEqual(expected.rejected);
        const mergedSomething = expected.data.entries.length > 0 || expected.data.horizon !== undefined;
        expect(target.calls).toEqual(mergedSomething ? [expected.data] : []);
        expect([...r.accepted].sort()).toEqual([...new Set(expected.data.entries.map((e) => e[0]))].sort());
      }),
      { numRuns: runs(300) },
    );
  });

  it('takes the changed keys from the target when it reports them', () => {
    const target = recorder(['k', 'other']);
    const r = wire.ingest(target, { writers: ['a'], entries: [['k', [0, 1, 1]]], horizon: { floor: 1, vv: [] } });
    expect([...r.accepted]).toEqual(['k', 'other']);
  });

  it('never touches the local map for fuzzed input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const target = recorder();
        const r = wire.ingest(target, x);
        expect(target.calls).toEqual([]);
        expect(r.accepted.size).toBe(0);
        expect(r.merged.entries).toEqual([]);
      }),
      { numRuns: runs(500) },
    );
  });

  it('rejects configuration errors loudly at construction', () => {
    expect(() => createIngest({ keyBytesMax: -1 }, { wallClock: () => 0 })).toThrow(RangeError);
    expect(createIngest({}, { wallClock: () => 0 }).limits.maxDriftMs).toBe(60_000);
  });
});
