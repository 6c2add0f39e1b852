import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createHlc,
  compare,
  pack,
  unpack,
  LOGICAL_MAX,
  WALL_MAX_MS,
  type Timestamp,
} from '@rumor/hlc';

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.RUNS_SCALE ?? 1)));

/** A controllable wall clock. */
function manualWall(start = 1_700_000_000_000) {
  let t = start;
  return { read: () => t, set: (v: number) => void (t = v), add: (d: number) => void (t += d) };
}

type Op =
  | { kind: 'now' }
  | { kind: 'step'; deltaMs: number }
  | { kind: 'receive'; leadMs: number; logical: number }
  | { kind: 'burst'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'now' }),
  fc.integer({ min: -100_000, max: 100_000 }).map((deltaMs): Op => ({ kind: 'step', deltaMs })),
  fc
    .record({ leadMs: fc.integer({ min: -200_000, max: 200_000 }), logical: fc.integer({ min: 0, max: LOGICAL_MAX }) })
    .map((r): Op => ({ kind: 'receive', ...r })),
  fc.integer({ min: 1, max: 1500 }).map((n): Op => ({ kind: 'burst', n })),
);

describe('createHlc', () => {
  it('issues strictly increasing timestamps under any interleaving of events, receives and wall-clock steps', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const wall = manualWall();
        const clock = createHlc({ maxDriftMs: 60_000 }, { wallClock: wall.read });
        let prev: Timestamp = clock.now();
        const next = (ts: Timestamp) => {
          if (compare(ts, prev) !== 1 || pack(ts) <= pack(prev)) {
            throw new Error(`not monotonic: ${JSON.stringify(prev)} then ${JSON.stringify(ts)}`);
          }
          prev = ts;
        };
        for (const op of ops) {
          if (op.kind === 'now') next(clock.now());
          else if (op.kind === 'step') wall.set(Math.max(0, wall.read() + op.deltaMs));
          else if (op.kind === 'burst') for (let i = 0; i < op.n; i++) next(clock.now());
          else {
            const remote = { wallMs: Math.max(0, wall.read() + op.leadMs), logical: op.logical };
            const r = clock.receive(remote);
            if (op.leadMs > 60_000) {
              expect(r.ok).toBe(false);
              if (!r.ok) expect(r.error.code).toBe('hlc.drift');
            } else {
              expect(r.ok).toBe(true);
              if (r.ok) {
                expect(compare(r.value, remote)).toBe(1);
                next(r.value);
              }
            }
          }
          expect(compare(clock.last(), prev)).toBe(0);
        }
      }),
      { numRuns: runs(300) },
    );
  });

  it('stays close to the wall clock at a million readings per second', () => {
    const wall = manualWall();
    const clock = createHlc({}, { wallClock: wall.read });
    const start = wall.read();
    for (let ms = 0; ms < 50; ms++) {
      for (let i = 0; i < 1000; i++) clock.now();
      wall.add(1);
    }
    expect(clock.last().wallMs).toBeLessThanOrEqual(start + 50);
  });

  it('carries a logical overflow into the wall part without error', () => {
    const clock = createHlc({}, { wallClock: () => 5 });
    let ts = clock.now();
    for (let i = 0; i < LOGICAL_MAX; i++) ts = clock.now();
    expect(ts).toEqual({ wallMs: 5, logical: LOGICAL_MAX });
    expect(clock.now()).toEqual({ wallMs: 6, logical: 0 });
  });

  it('keeps counting when the wall clock steps backwards', () => {
    const wall = manualWall(1000);
    const clock = createHlc({}, { wallClock: wall.read });
    expect(clock.now()).toEqual({ wallMs: 1000, logical: 0 });
    wall.set(10);
    expect(clock.now()).toEqual({ wallMs: 1000, logical: 1 });
    wall.set(2000);
    expect(clock.now()).toEqual({ wallMs: 2000, logical: 0 });
  });

  it('survives a broken wall clock (NaN, negative, fractional)', () => {
    const values = [Number.NaN, -5, 3.7, Number.POSITIVE_INFINITY, 10];
    let i = 0;
    const clock = createHlc({}, { wallClock: () => values[i++ % values.length]! });
    let prev = clock.now();
    for (let k = 0; k < 20; k++) {
      const ts = clock.now();
      expect(compare(ts, prev)).toBe(1);
      prev = ts;
    }
  });

  it('rejects a remote timestamp further ahead than maxDriftMs and leaves the clock untouched', () => {
    const clock = createHlc({ maxDriftMs: 1000 }, { wallClock: () => 10_000 });
    const before = clock.now();
    const r = clock.receive({ wallMs: 11_001, logical: 0 });
    expect(r).toMatchObject({ ok: false, error: { code: 'hlc.drift' } });
    expect(clock.last()).toEqual(before);
    expect(clock.receive({ wallMs: 11_000, logical: 3 })).toEqual({ ok: true, value: { wallMs: 11_000, logical: 4 } });
  });

  it('rejects malformed remote timestamps with hlc.malformed and never throws', () => {
    const clock = createHlc({}, { wallClock: () => 10_000 });
    const bad: unknown[] = [
      null,
      undefined,
      5,
      'x',
      {},
      { wallMs: -1, logical: 0 },
      { wallMs: 1.5, logical: 0 },
      { wallMs: 1, logical: LOGICAL_MAX + 1 },
      { wallMs: WALL_MAX_MS + 1, logical: 0 },
      { wallMs: '1', logical: 0 },
      { wallMs: 1, logical: -1 },
      { wallMs: Number.NaN, logical: 0 },
    ];
    for (const b of bad) expect(clock.receive(b)).toMatchObject({ ok: false, error: { code: 'hlc.malformed' } });
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const r = clock.receive(x);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: runs(300) },
    );
  });

  it('never reissues a timestamp after a restart that restores the high-water mark', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100_000 }), (n, backMs) => {
        const wall = manualWall();
        const a = createHlc({}, { wallClock: wall.read });
        for (let i = 0; i < n; i++) a.now();
        const last = a.last();
        wall.add(-backMs);
        const viaInit = createHlc({ last: pack(last) }, { wallClock: wall.read });
        expect(compare(viaInit.now(), last)).toBe(1);
        const viaObserve = createHlc({}, { wallClock: wall.read });
        expect(viaObserve.observe(last)).toBe(true);
        expect(createHlc({}, { wallClock: wall.read }).observe(-1)).toBe(false);
        expect(compare(viaObserve.now(), last)).toBe(1);
      }),
      { numRuns: runs(200) },
    );
  });

  it('pack() mints monotonic fencing tokens', () => {
    const wall = manualWall();
    const clock = createHlc({}, { wallClock: wall.read });
    const a = clock.pack();
    wall.add(-1000);
    const b = clock.pack();
    expect(b).toBeGreaterThan(a);
    expect(unpack(b)).toEqual({ ok: true, value: clock.last() });
  });

  it('rejects an invalid restored high-water mark or drift bound loudly', () => {
    expect(() => createHlc({ last: -1 }, { wallClock: () => 0 })).toThrow(RangeError);
    expect(() => createHlc({ maxDriftMs: -1 }, { wallClock: () => 0 })).toThrow(RangeError);
  });
});
