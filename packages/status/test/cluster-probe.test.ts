import { describe, expect, it } from 'vitest';
import { withSeed } from '@rumor/testkit';
import { graphOf, StatusErrorCode, type ClusterView, type StatusCard, type StatusSnapshot } from '@rumor/status';
import { simStatusCluster } from './sim.js';

const linksOf = (view: ClusterView): string[] => graphOf(view).edges.map((e) => `${e.a}|${e.b}`).sort();

interface Roles {
  active: string[];
  eager: string[];
  lazy: string[];
}
const sorted = (ids: readonly string[]): string[] => [...ids].sort();
/** A node's active view and Plumtree roles, from a snapshot of its stack or from the card it sent. */
function rolesOf(x: StatusSnapshot | StatusCard): Roles {
  return 'views' in x
    ? { active: sorted(x.views.active), eager: sorted(x.broadcast.eager), lazy: sorted(x.broadcast.lazy) }
    : { active: sorted(x.active), eager: sorted(x.eager), lazy: sorted(x.lazy) };
}
const sameRoles = (a: Roles, b: Roles): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Undirected links of the real active views, each node's as it was in the snapshot its card was made from. */
function linksWhenMade(madeFrom: ReadonlyMap<string, StatusSnapshot>): string[] {
  const links = new Set<string>();
  for (const [id, snapshot] of madeFrom) for (const p of snapshot.views.active) links.add([id, p].sort().join('|'));
  return [...links].sort();
}

describe('createClusterProbe', () => {
  it('learns every node of a 40-node overlay through the cluster, with the real active views and broadcast roles', () =>
    withSeed(async (seed) => {
      const c = simStatusCluster(40, seed);
      const asker = c.nodes[17]!;
      const view = await c.settle(asker.service.probe!.gather());
      expect(view.complete).toBe(true);
      expect(view.members.map((m) => m.id).sort()).toEqual(c.nodes.map((n) => n.id).sort());
      expect(view.members.every((m) => m.fresh && m.card !== undefined)).toBe(true);
      // What the probe promises: each card is its sender's real state when it answered. The overlay of an idle
      // cluster is not frozen (HyParView fills short active views every round, evicting a peer elsewhere), so a
      // view may change while the cards flood: each card is checked against the views of the card its node made
      // between the ask and the end of the gather (the answer; a full sync to a peer that came up meanwhile; the
      // asker's own card, built at the end), never against the views after the gather (seed 11: n34 fills its view
      // through n7 140 ms into the gather, n7 evicts n24). The answers are themselves broadcast traffic, so Plumtree
      // keeps pruning while they flood: the eager/lazy sets are those of that moment. (No clock drift here: a node's
      // time, hence `askedAt` and `at`, is the simulation's time that `made()` records.)
      const madeFrom = new Map<string, StatusSnapshot>();
      for (const n of c.nodes) {
        const card = view.members.find((m) => m.id === n.id)!.card!;
        const made = n.made().filter((m) => m.at >= view.askedAt! && m.at <= view.at);
        const match = made.find((m) => sameRoles(rolesOf(m.snapshot), rolesOf(card)));
        expect(match, `${n.id}: card ${JSON.stringify(rolesOf(card))} is none of its states since the ask: ${JSON.stringify(made.map((m) => ({ at: m.at, ...rolesOf(m.snapshot) })))}`).toBeDefined();
        madeFrom.set(n.id, match!.snapshot);
      }
      // The drawn links are exactly the real active links as each end reported them when it answered.
      expect(linksOf(view)).toEqual(linksWhenMade(madeFrom));
      // Everybody else learnt the cards too (the answers are gossiped).
      const other = c.nodes[3]!.service.probe!.view();
      expect(other.members.length).toBe(40);
      // It finished on completion, before the timeout (lazy links cost Plumtree's IHAVE/GRAFT repair, ~0.5 s a hop).
      expect(asker.service.probe!.stats()).toMatchObject({ gathers: 1, gathersComplete: 1, gathersTimedOut: 0 });
      expect(view.at - view.askedAt!).toBeLessThan(3000);
    }, { seed: 11 }));

  it('answers at most once per interval however often it is asked, and reuses a recent gather', () =>
    withSeed(async (seed) => {
      const c = simStatusCluster(6, seed, { probe: { answerIntervalMinMs: 1000, gatherIntervalMinMs: 2000 } });
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
    }, { seed: 5 }));

  it('times out with the nodes that answered when one crashed, showing it as not fresh', () =>
    withSeed(async (seed) => {
      const c = simStatusCluster(8, seed);
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
    }, { seed: 21 }));

  it('records peer up and down events with the membership reason', () =>
    withSeed((seed) => {
      const c = simStatusCluster(5, seed);
      const neighbours = c.nodes[0]!.stack.membership.activeView();
      const events0 = c.nodes[0]!.service.probe!.events();
      for (const p of neighbours) expect(events0.some((e) => e.peer === p && e.kind === 'up')).toBe(true);
      const victim = neighbours[0]!;
      c.sim.crash(victim);
      c.sim.run({ forMs: 8000 });
      const down = c.nodes[0]!.service.probe!.events().find((e) => e.peer === victim && e.kind === 'down');
      expect(down?.reason).toBe('failed');
    }, { seed: 3 }));

  it('refuses a card that speaks for another node, counting it, and never stores it', () =>
    withSeed(async (seed) => {
      const c = simStatusCluster(3, seed);
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
    }, { seed: 8 }));
});
