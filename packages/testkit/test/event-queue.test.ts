// The scheduler's queue: events come out in (tick, seq) order whatever mix of near (wheel) and far (heap) events,
// bounded pops, id recycling and growth the run throws at it — checked against a sorted-list model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../src/event-queue.js';

type Op = { op: 'push'; delay: number } | { op: 'pop'; limitDelay: number | null };

const delays = fc.oneof(
  fc.integer({ min: 0, max: 40 }), // same or nearby ticks: FIFO ties
  fc.integer({ min: 0, max: 1 << 15 }), // anywhere in the wheel's window, and just past it
  fc.integer({ min: 1 << 15, max: 1 << 20 }), // far events (heap)
  fc.integer({ min: 1 << 15, max: (1 << 15) + 3 }), // far events tied on a tick: the heap's seq order
);
const ops = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: delays.map((delay): Op => ({ op: 'push', delay })) },
    { weight: 2, arbitrary: fc.option(delays, { nil: null }).map((limitDelay): Op => ({ op: 'pop', limitDelay })) },
  ),
  { maxLength: 400 },
);

describe('EventQueue', () => {
  it('pops in (tick, seq) order, respects the limit, and never loses an event', () => {
    fc.assert(
      fc.property(ops, (script) => {
        const q = new EventQueue(4); // tiny capacity: growth is exercised
        const model: { tick: number; seq: number; id: number }[] = [];
        const label = new Map<number, number>(); // event id → seq of the event it currently holds
        let seq = 0;
        const popOne = (limit: number): void => {
          model.sort((x, y) => x.tick - y.tick || x.seq - y.seq);
          const want = model[0];
          const got = q.pop(limit);
          if (want === undefined || want.tick > limit) {
            expect(got).toBe(-1);
            return;
          }
          expect(got).toBe(want.id);
          expect(label.get(got)).toBe(want.seq);
          expect(q.tick).toBe(want.tick);
          model.shift();
          q.release(got);
        };
        for (const step of script) {
          if (step.op === 'push') {
            const id = q.alloc();
            const tick = q.tick + step.delay;
            label.set(id, seq);
            model.push({ tick, seq, id });
            q.push(id, tick, seq++);
          } else {
            popOne(step.limitDelay === null ? Infinity : q.tick + step.limitDelay);
          }
          expect(q.size).toBe(model.length);
        }
        while (model.length > 0) popOne(Infinity);
        expect(q.pop(Infinity)).toBe(-1);
      }),
      { numRuns: 200 },
    );
  });

  it('a bounded pop that finds nothing advances the clock to the limit, never past a pending event', () => {
    const q = new EventQueue();
    const id = q.alloc();
    q.push(id, 100_000, 0);
    expect(q.pop(40_000)).toBe(-1);
    expect(q.tick).toBe(40_000);
    expect(q.pop(Infinity)).toBe(id);
    expect(q.tick).toBe(100_000);
  });

  it('recycles released ids instead of growing', () => {
    const q = new EventQueue(8);
    for (let round = 0; round < 100; round++) {
      const ids = Array.from({ length: 8 }, () => q.alloc());
      ids.forEach((id, i) => q.push(id, q.tick + 1 + i, round * 8 + i));
      for (const id of ids) {
        expect(q.pop(Infinity)).toBe(id);
        q.release(id);
      }
    }
    expect(q.objs.length).toBe(8);
  });
});
