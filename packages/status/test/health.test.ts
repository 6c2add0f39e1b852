import { describe, expect, it } from 'vitest';
import { cardOf, createHealthTracker, parseCard } from '@rumor/status';
import { fakeSnapshot, mapStatus } from './fixtures.js';

describe('createHealthTracker', () => {
  it('is ok for a connected node with flat error counters', () => {
    const h = createHealthTracker();
    expect(h.evaluate(fakeSnapshot(), 0)).toEqual({ health: 'ok', reasons: [] });
  });

  it('is degraded when isolated or behind, failing when a log failed', () => {
    const h = createHealthTracker({ sendQueueBytesMax: 1000 });
    expect(h.evaluate(fakeSnapshot({ views: { active: [] } }), 0)).toEqual({ health: 'degraded', reasons: ['isolated'] });
    expect(h.evaluate(fakeSnapshot({ pending: { sendQueueBytes: 5000 } }), 0).reasons).toEqual(['backlog']);
    const broken = mapStatus('m');
    broken.persist!.failed = 'EIO';
    expect(h.evaluate(fakeSnapshot({ maps: { m: broken } }), 0)).toEqual({ health: 'failing', reasons: ['wal-failed'] });
  });

  it('flags rejections that rise beyond the allowance within a window, and clears after two windows', () => {
    const h = createHealthTracker({ windowMs: 1000, rejectedPerWindowMax: 10 });
    const at = (total: number) => fakeSnapshot({ rejected: { total } });
    expect(h.evaluate(at(100), 0).reasons).toEqual([]);
    expect(h.evaluate(at(105), 500).reasons).toEqual([]); // a few: normal churn
    expect(h.evaluate(at(120), 900).reasons).toEqual(['rejecting']);
    expect(h.evaluate(at(120), 1500).reasons).toEqual(['rejecting']); // still within the previous window
    expect(h.evaluate(at(120), 2600).reasons).toEqual([]);
  });
});

describe('cardOf', () => {
  it('makes a card every peer accepts, with the node’s views and roles', () => {
    const s = fakeSnapshot();
    const card = cardOf(s, { health: 'ok', reasons: [] });
    expect(parseCard(card, 'n1')).toEqual({ ok: true, value: card });
    expect(card).toMatchObject({ id: 'n1', active: ['n2', 'n3'], eager: ['n2'], lazy: ['n3'], passiveCount: 1, keys: 10, http: 'http://127.0.0.1:2' });
    expect(cardOf(fakeSnapshot({ http: 'javascript:x' }), { health: 'ok', reasons: [] }).http).toBeUndefined();
  });
});
