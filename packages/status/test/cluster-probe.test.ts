import { describe, expect, it } from 'vitest';
import { graphOf, StatusErrorCode, type ClusterView } from '@rumor/status';
import { simStatusCluster } from './sim.js';

const linksOf = (view: ClusterView): string[] => graphOf(view).edges.map((e) => `${e.a}|${e.b}`).sort();

describe('createClusterProbe', () => {
  it('learns every node of a 40-node overlay through the cluster, with the real active views and broadcast roles', async () => {
    const c = simStatusCluster(40, 11);
    const asker = c.nodes[17]!;
    const view = await c.settle(asker.service.probe!.gather());
    expect(view.complete).toBe(true);
    expect(view.members.map((m) => m.id).sort()).toEqual(c.nodes.map((n) => n.id).sort());
    expect(view.members.every((m) => m.fresh && m.card !== undefined)).toBe(true);
    expect(linksOf(view)).toEqual(c.realLinks());
    // Every card's eager/lazy sets are that node's Plumtree sets when it answered (the answers are themselves
    // broadcast traffic, so Plumtree keeps pruning while they flood an idle cluster).
    for (const n of c.nodes) {
      const card = view.members.find((m) => m.id === n.id)!.card!;
      const b = n.last()!.broadcast;
      expect([...card.eager].sort()).toEqual([...b.eager].sort());
      expect([...card.lazy].sort()).toEqual([...b.lazy].sort());
    }
    // Everybody else learnt the cards too (the answers are gossiped).
    const other = c.nodes[3]!.service.probe!.view();
    expect(other.members.length).toBe(40);
    // It finished on completion, before the timeout (lazy links cost Plumtree's IHAVE/GRAFT repair, ~0.5 s a hop).
    expect(asker.service.probe!.stats()).toMatchObject({ gathers: 1, gathersComplete: 1, gathersTimedOut: 0 });
    expect(view.at - view.askedAt!).toBeLessThan(3000);
  });

  it('answers at most once per interval however often it is asked, and reuses a recent gather', async () => {
    const c = simStatusCluster(6, 5, { probe: { answerIntervalMinMs: 1000, gatherIntervalMinMs: 2000 } });
    const [a, b] = [c.nodes[0]!.service.probe!, c.nodes[1]!.service.probe!];
    await c.settle(a.gather());
    const sentBefore = c.nodes[4]!.service.probe!.stats().cardsSent;
    // Five different nodes ask within 100 virtual ms: node 4 answers at most twice (now, then once coalesced).
    const asks = c.nodes.slice(1, 6).map((n) => n.service.probe!.gather());
    await c.settle(Promise.all(asks));
    const s4 = c.nodes[4]!.service.probe!.stats();
    expect(s4.cardsSent - sentBefore).toBeLessThanOrEqual(2);
    expect(s4.answersCoalesced).toBeGreaterThan(0);
    // Asking again right away reuses what is known: no new ask goes out.
    const asked = b.stats().asksSent;
    const again = await b.gather();
    expect(b.stats().asksSent).toBe(asked);
    expect(again.members.length).toBe(6);
  });

  it('times out with the nodes that answered when one crashed, showing it as not fresh', async () => {
    const c = simStatusCluster(8, 21);
    await c.settle(c.nodes[0]!.service.probe!.gather());
    c.sim.crash('n5');
    c.sim.run({ forMs: 2500 }); // before failure detection: n5 is still in active views
    const view = await c.settle(c.nodes[0]!.service.probe!.gather());
    const n5 = view.members.find((m) => m.id === 'n5')!;
    expect(n5.card).toBeDefined();
    expect(n5.fresh).toBe(false);
    expect(view.complete).toBe(false);
    expect(c.nodes[0]!.service.probe!.stats().gathersTimedOut).toBe(1);
    expect(graphOf(view).nodes.find((n) => n.id === 'n5')!.state).toBe('stale');
  });

  it('records peer up and down events with the membership reason', () => {
    const c = simStatusCluster(5, 3);
    const neighbours = c.nodes[0]!.stack.membership.activeView();
    const events0 = c.nodes[0]!.service.probe!.events();
    for (const p of neighbours) expect(events0.some((e) => e.peer === p && e.kind === 'up')).toBe(true);
    const victim = neighbours[0]!;
    c.sim.crash(victim);
    c.sim.run({ forMs: 8000 });
    const down = c.nodes[0]!.service.probe!.events().find((e) => e.peer === victim && e.kind === 'down');
    expect(down?.reason).toBe('failed');
  });

  it('refuses a card that speaks for another node, counting it, and never stores it', async () => {
    const c = simStatusCluster(3, 8);
    const [n0, n1] = c.nodes;
    // n1 gossips a card claiming to be n2: every receiver refuses it.
    const forged = n0!.service.probe!.view().members.find((m) => m.id === 'n0')!.card!;
    const replica = n1!.stack.replicas.replica('rumor.status')!;
    replica.broadcastCustom({ type: 'card', card: { ...forged, id: 'n2', health: 'failing' } });
    replica.broadcastCustom({ type: 'card', card: { ...forged, id: 'n1', active: ['x'.repeat(65)] } });
    replica.broadcastCustom({ type: 'hello' });
    c.sim.run({ forMs: 1000 });
    const s0 = n0!.service.probe!.stats();
    expect(s0.rejected).toEqual({ [StatusErrorCode.idMismatch]: 1, [StatusErrorCode.badCard]: 1, [StatusErrorCode.malformed]: 1 });
    // The driver counted them as invalid payloads of the instance, like any other refused input.
    expect(n0!.stack.replicas.stats().replicas.find((r) => r.name === 'rumor.status')!.invalid).toBe(3);
    const n2 = n0!.service.probe!.view().members.find((m) => m.id === 'n2');
    expect(n2?.card?.health).not.toBe('failing');
  });
});
