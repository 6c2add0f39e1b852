/**
 * The clock lease (src/hlc-lease.ts): whatever happens — clean restarts, crashes at any point (no close), wall
 * clock steps forwards and backwards, bursts within one millisecond — no timestamp is issued twice, and every
 * timestamp issued is covered by the lease on disk at the moment it is handed out.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { pack } from '@rumor/hlc';
import { createLeasedClock, type LeasedClock } from '../src/hlc-lease.js';
import { tempDir } from './helpers/processes.js';

const root = tempDir('rumor-lease-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Op = { kind: 'stamp'; n: number } | { kind: 'wall'; deltaMs: number } | { kind: 'crash' } | { kind: 'restart' } | { kind: 'tick' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('stamp' as const), n: fc.integer({ min: 1, max: 1500 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('wall' as const), deltaMs: fc.integer({ min: -120_000, max: 30_000 }) }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'crash' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 1 },
);

describe('createLeasedClock', () => {
  it('never reissues a timestamp under restarts, crashes and wall-clock steps (property)', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 20 }), fc.integer({ min: 10, max: 10_000 }), (ops, leaseMs) => {
        const dir = path.join(root, `p${run++}`);
        let wall = 1_700_000_000_000;
        let timers: Array<() => void> = [];
        const components = {
          wallClock: () => wall,
          // Timers fire only on `tick`, so a crash can land between renewals.
          setTimer: (_ms: number, fn: () => void) => {
            timers.push(fn);
            return () => (timers = timers.filter((t) => t !== fn));
          },
        };
        const leaseOnDisk = (): number => JSON.parse(readFileSync(path.join(dir, 'hlc.json'), 'utf8')).lease;
        let clock: LeasedClock = createLeasedClock(dir, { leaseMs }, components);
        let last = -1;
        for (const o of ops) {
          if (o.kind === 'stamp') {
            for (let i = 0; i < o.n; i++) {
              const ts = pack(clock.now());
              // Plain checks: this loop runs hundreds of thousands of times.
              if (!(ts > last)) throw new Error(`timestamp ${ts} issued after ${last}`);
              if (!(ts <= clock.lease())) throw new Error(`timestamp ${ts} beyond the lease ${clock.lease()}`);
              last = ts;
            }
            expect(last).toBeLessThanOrEqual(leaseOnDisk()); // what the lease says is what the disk says
          } else if (o.kind === 'wall') wall = Math.max(0, wall + o.deltaMs);
          else if (o.kind === 'tick') for (const t of timers.splice(0)) t();
          else {
            if (o.kind === 'restart') clock.close();
            timers = []; // a crash: the old clock is simply gone
            clock = createLeasedClock(dir, { leaseMs }, components);
          }
        }
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 60 } // each run fsyncs real files: a fixed count,
    );
  });

  it('writes nothing while idle', () => {
    const dir = path.join(root, 'idle');
    let fire: (() => void) | undefined;
    let wall = 1_700_000_000_000;
    const clock = createLeasedClock(dir, { leaseMs: 1000 }, { wallClock: () => wall, setTimer: (_ms, fn) => ((fire = fn), () => undefined) });
    const renewals = clock.renewals();
    wall += 10_000;
    fire!();
    expect(clock.renewals()).toBe(renewals);
    clock.now();
    expect(clock.renewals()).toBe(renewals + 1); // the reading outran the lease: renewed before it was handed out
  });
});
