import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

describe('leader election demo (real stack, simulated network)', () => {
  it('elects, fences, fails over, refuses the stale write, and catches a restarted node up', () => {
    const r = runDemo(1);
    const [elected, afterCrash, restarted, again] = r.phases;
    expect(Object.values(elected!.views)).toEqual([
      { leader: 'n0', fence: 1 },
      { leader: 'n0', fence: 1 },
      { leader: 'n0', fence: 1 },
    ]);
    expect(afterCrash!.views).toEqual({ n1: { leader: 'n1', fence: 2 }, n2: { leader: 'n1', fence: 2 } });
    expect(r.staleWriteAccepted).toBe(false);
    expect(r.finalStoreValue).toBe('written by n1');
    // The restarted n0 learned leader and token by pulling on start, without campaigning.
    expect(restarted!.views.n0).toEqual({ leader: 'n1', fence: 2 });
    // Campaigning again, the smallest id leads again with a higher token, everywhere.
    for (const v of Object.values(again!.views)) expect(v).toEqual({ leader: 'n0', fence: 3 });
  });
});
