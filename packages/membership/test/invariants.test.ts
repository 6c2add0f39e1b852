/**
 * One node fed arbitrary sequences of carrier events, hostile and valid messages and time: it never throws, and
 * its views keep the invariants of issue 4 after every input.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MESSAGE_TYPES, type NodeId } from '@rumor/membership';
import { addr, fakeNode, id } from './support/fake-components.js';

const peers = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'me'];
const peer = fc.constantFrom(...peers);
const entry = fc.record({ id: peer, address: peer.map(addr) });
const validBody = fc.oneof(
  fc.record({ node: entry, ttl: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ priority: fc.constantFrom('high', 'low') }),
  fc.record({ accepted: fc.boolean() }),
  fc.record({ reason: fc.constantFrom('evicted', 'left') }),
  fc.record({ id: fc.integer({ min: 0, max: 3 }), origin: entry, ttl: fc.integer({ min: 0, max: 7 }), nodes: fc.array(entry, { maxLength: 8 }) }),
  fc.record({ id: fc.integer({ min: 0, max: 3 }), nodes: fc.array(entry, { maxLength: 8 }) }),
  fc.constant({}),
);

type Cmd =
  | { k: 'up'; p: string }
  | { k: 'down'; p: string; failed: boolean }
  | { k: 'msg'; p: string; type: string; body: unknown }
  | { k: 'connectFailed'; p: string }
  | { k: 'advance'; ms: number }
  | { k: 'join' }
  | { k: 'leave' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('up' as const), p: peer }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('down' as const), p: peer, failed: fc.boolean() }) },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('msg' as const),
      p: peer,
      type: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...MESSAGE_TYPES) }, { weight: 1, arbitrary: fc.string() }),
      body: fc.oneof({ weight: 9, arbitrary: validBody }, { weight: 1, arbitrary: fc.anything() }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('connectFailed' as const), p: peer }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'join' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'leave' as const }) },
);

describe('HyParView under arbitrary input', () => {
  it('never throws and keeps its view invariants after every input', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 120 }), fc.integer(), (cmds, seed) => {
        const n = fakeNode('me', { activeViewSize: 3, passiveViewSize: 4, reconnectProbability: 0.5 }, seed);
        const linked = new Set<NodeId>();
        const up = new Set<NodeId>();
        for (const c of cmds) {
          switch (c.k) {
            case 'up':
              // The fake carrier never reports a link to self (the real ones do not either).
              if (c.p === 'me') break;
              linked.add(id(c.p));
              n.hv.onLinkUp(id(c.p), addr(c.p));
              break;
            case 'down':
              if (!linked.delete(id(c.p))) break;
              n.hv.onLinkDown(id(c.p), c.failed ? 'failed' : 'closed');
              break;
            case 'msg':
              if (!linked.has(id(c.p))) break;
              n.hv.onMessage(id(c.p), c.type, c.body);
              break;
            case 'connectFailed':
              n.hv.onConnectFailed(addr(c.p), 'refused');
              break;
            case 'advance':
              n.advance(c.ms);
              break;
            case 'join':
              n.hv.join([addr('a'), addr('b')]);
              break;
            case 'leave':
              n.hv.leave();
              break;
          }
          for (const e of n.ups.splice(0)) {
            expect(up.has(e.peer), `peerUp(${e.peer}) twice`).toBe(false);
            up.add(e.peer);
          }
          for (const e of n.downs.splice(0)) expect(up.delete(e.peer), `peerDown(${e.peer}) without peerUp`).toBe(true);
          const active = n.hv.activeView();
          const passive = n.hv.passiveView().map((e) => e.id);
          expect(active).not.toContain('me');
          expect(passive).not.toContain('me');
          expect(active.length).toBeLessThanOrEqual(3);
          expect(passive.length).toBeLessThanOrEqual(4);
          expect(new Set(active).size).toBe(active.length);
          expect(new Set(passive).size).toBe(passive.length);
          for (const p of active) {
            expect(passive).not.toContain(p);
            expect(linked.has(p), `active ${p} without a link`).toBe(true);
          }
          expect(new Set(active)).toEqual(up);
        }
      }),
    );
  });
});
