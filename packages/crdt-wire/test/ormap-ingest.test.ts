// Ingest into a real @rumor/ormap replica: the validity rules crdt-wire enforces are the ones ormap's merge trusts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHlc } from '@rumor/hlc';
import { createORMap, type NodeId, type ORMap } from '@rumor/ormap';
import { createIngest } from '@rumor/crdt-wire';
import { DRIFT_MS, NOW_MS, runs, validPayload } from './arbitraries.js';

const wire = createIngest({ maxDriftMs: DRIFT_MS }, { wallClock: () => NOW_MS });
const replica = (): ORMap<unknown> =>
  createORMap<unknown>({ nodeId: 'local' as NodeId }, { clock: createHlc({}, { wallClock: () => NOW_MS }) });

/** Junk shaped to get close: right top-level keys, arrays of near-entries. */
const nearJunk = fc.record({
  writers: fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.anything()), { maxLength: 4 }),
  entries: fc.array(fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.array(fc.oneof(fc.nat(4), fc.integer(), fc.anything()), { maxLength: 4 })), { maxLength: 4 }), { maxLength: 4 }),
  horizon: fc.option(fc.anything(), { nil: undefined }),
});

describe('ingest into @rumor/ormap', () => {
  it('leaves the replica exactly as a plain merge of the accepted entries would, and reports its changed keys', () => {
    fc.assert(
      fc.property(validPayload, fc.oneof(validPayload, nearJunk as fc.Arbitrary<unknown>), (initial, incoming) => {
        const local = replica();
        const reference = replica();
        local.merge(initial);
        reference.merge(initial);
        const r = wire.ingest(local, incoming);
        const expectedChanged = reference.merge(wire.accept(incoming).data);
        expect(local.snapshot()).toEqual(reference.snapshot());
        expect([...r.accepted].sort()).toEqual([...new Set(expectedChanged)].sort());
      }),
      { numRuns: runs(300) },
    );
  });

  it('never changes the replica for fuzzed input', () => {
    fc.assert(
      fc.property(validPayload, fc.oneof(fc.anything(), nearJunk), (initial, junk) => {
        // `nearJunk` now and then builds a valid entry (`{writers: [" "], entries: [["", [0, 1]]]}` is a tombstone,
        // seed 646435302): that input is not junk, and the property above covers what it may change.
        fc.pre(wire.accept(junk).data.entries.length === 0);
        const local = replica();
        local.merge(initial);
        const before = local.snapshot();
        const r = wire.ingest(local, junk);
        expect(local.snapshot()).toEqual(before);
        expect(r.accepted.size).toBe(0);
      }),
      { numRuns: runs(300) },
    );
  });
});
