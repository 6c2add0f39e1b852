import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMessageId, type NodeId } from '@rumor/broadcast';
import { createMessageCache } from '../src/message-cache.js';
import { createSeenSet } from '../src/seen-set.js';
import { createMissingMessages } from '../src/missing-messages.js';
import { createOutbox } from '../src/outbox.js';
import { createFakeTimers } from './support/fakes.js';

const mid = (i: number) => formatMessageId('o' as NodeId, i);

describe('createMessageCache', () => {
  it('never exceeds its count and byte bounds and never serves an entry past its age', () => {
    fc.assert(
      fc.property(
        fc.record({ countMax: fc.integer({ min: 1, max: 20 }), bytesMax: fc.integer({ min: 1, max: 200 }), ageMs: fc.integer({ min: 1, max: 100 }) }),
        fc.array(fc.record({ size: fc.nat(60), dt: fc.nat(30) }), { maxLength: 200 }),
        (limits, puts) => {
          const cache = createMessageCache(limits);
          let now = 0;
          puts.forEach((p, i) => {
            now += p.dt;
            cache.put(mid(i), { tag: 't', payload: new Uint8Array(p.size), hops: 1, at: now });
            expect(cache.size).toBeLessThanOrEqual(limits.countMax);
            expect(cache.bytes).toBeLessThanOrEqual(limits.bytesMax);
            for (let j = 0; j <= i; j++) {
              const got = cache.get(mid(j), now);
              if (got !== undefined) expect(now - got.at).toBeLessThanOrEqual(limits.ageMs);
            }
          });
          cache.sweep(now + limits.ageMs + 1);
          expect(cache.size).toBe(0);
          expect(cache.bytes).toBe(0);
        },
      ),
    );
  });
});

describe('createSeenSet', () => {
  it('keeps at most countMax ids, oldest evicted first', () => {
    const seen = createSeenSet(3, 1000);
    for (let i = 0; i < 5; i++) seen.add(mid(i), { at: i, hops: 1, from: undefined });
    expect(seen.size).toBe(3);
    expect([0, 1, 2, 3, 4].map((i) => seen.has(mid(i)))).toEqual([false, false, true, true, true]);
    seen.sweep(1005);
    expect(seen.size).toBe(0);
  });
});

describe('createMissingMessages', () => {
  it('fires each entry after the first delay, then after the retry delay, with one platform timer', () => {
    const timers = createFakeTimers();
    const fired: [string, number][] = [];
    const missing = createMissingMessages(timers, 100, 30, (id) => {
      fired.push([id, timers.now()]);
      missing.retryLater(id);
    });
    missing.announce(mid(1), 'a' as NodeId, 4, 10);
    timers.advance(10);
    missing.announce(mid(2), 'a' as NodeId, 4, 10);
    expect(timers.pending).toBe(1);
    timers.advance(125);
    expect(fired).toEqual([[mid(1), 100], [mid(2), 110], [mid(1), 130]]);
    missing.resolve(mid(1));
    missing.resolve(mid(2));
    timers.advance(1000);
    expect(fired.length).toBe(3);
    expect(timers.pending).toBe(0);
  });

  it('does not spin when the clock reads a hair before the time it armed for (regression: 26 M timer storm)', () => {
    // A clock whose timers fire 1e-9 ms early, as float arithmetic or a drifting local clock can make them.
    let now = 0;
    let timersSet = 0;
    const pending: { at: number; fn: () => void }[] = [];
    const timers = {
      now: () => now,
      setTimer(delay: number, fn: () => void) {
        timersSet++;
        pending.push({ at: now + delay, fn });
        return () => {};
      },
    };
    let expired = 0;
    const missing = createMissingMessages(timers, 0.3, 0.1, () => {
      expired++;
      missing.drop(mid(1));
    });
    missing.announce(mid(1), 'a' as NodeId, 4, 10);
    for (let k = 0; k < 100 && pending.length > 0; k++) {
      const t = pending.shift() as { at: number; fn: () => void };
      now = t.at - 1e-9;
      t.fn();
    }
    expect(expired).toBe(1);
    expect(timersSet).toBe(1);
  });

  it('bounds entries and sources, and drops an entry whose only announcer went down before any graft', () => {
    const timers = createFakeTimers();
    const missing = createMissingMessages(timers, 100, 30, () => {});
    expect(missing.announce(mid(1), 'a' as NodeId, 2, 1)).toBe(true);
    expect(missing.announce(mid(2), 'a' as NodeId, 2, 1)).toBe(false);
    missing.announce(mid(1), 'b' as NodeId, 2, 1);
    missing.announce(mid(1), 'c' as NodeId, 2, 1);
    missing.removeSource('a' as NodeId);
    expect(missing.size).toBe(1);
    missing.removeSource('b' as NodeId);
    expect(missing.size).toBe(0);
  });
});

describe('createOutbox', () => {
  it('keeps order behind backpressure, bounds the queue, and reports what a closed connection lost', () => {
    const log: string[] = [];
    let answer: 'accepted' | 'backpressure' | 'closed' = 'backpressure';
    const lost: number[] = [];
    const outbox = createOutbox(2, {
      carrier: (_p, type) => {
        if (answer === 'accepted') log.push(type);
        return answer;
      },
      accepted: () => {},
      backpressure: () => {},
      lostOnClose: (n) => lost.push(n),
    });
    const p = 'p' as NodeId;
    expect(outbox.send(p, 'a', null)).toBe('queued');
    expect(outbox.send(p, 'b', null)).toBe('queued');
    expect(outbox.send(p, 'c', null)).toBe('full');
    answer = 'accepted';
    expect(outbox.send(p, 'd', null)).toBe('full'); // still behind the queue: order first
    outbox.drain(p);
    expect(log).toEqual(['a', 'b']);
    expect(outbox.queued).toBe(0);
    answer = 'backpressure';
    outbox.send(p, 'e', null);
    answer = 'closed';
    outbox.drain(p);
    expect(lost).toEqual([1]);
    expect(outbox.queued).toBe(0);
  });
});
