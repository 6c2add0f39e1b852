/**
 * Runs real HyParView (`@rumor/membership`) under the Plumtree benchmark's simulator, so that failure scenarios
 * heal the overlay the way the paper's does (HyParView §4.3: a failed neighbour is replaced from the passive view).
 *
 * Carrier model, as thin as the simulator: `connect` opens a connection after one round trip if the target is
 * alive and reports `connectFailed` after `connectTimeoutMs` otherwise; `disconnect` closes at once here and one
 * link delay later at the other end; a crash is seen by each neighbour one link delay later (a reset connection).
 * Plumtree hears `peerUp`/`peerDown` from HyParView and may send only to active peers.
 */
import type { NodeId } from '@rumor/broadcast';
import { createHyParView, type HyParView, type HyParViewInit } from '@rumor/membership';
import { mulberry32, type PlumtreeSim } from './plumtree-sim.js';

/** HyParView instances attached to a simulator, by node index. */
export interface SimMembership {
  hv: HyParView[];
  /**
   * Joins every node but the first, one at a time through `contacts` random earlier nodes (as `createStack.join`
   * takes a list), then lets the overlay settle.
   */
  bootstrap(joinSpacingMs: number, settleMs: number, contacts?: number): void;
}

/** Attaches one HyParView per node of `sim` (which must be fresh: no links yet). */
export function attachHyParView(sim: PlumtreeSim, init: HyParViewInit = {}, connectTimeoutMs = 1000): SimMembership {
  const address = (i: number) => `sim://${sim.ids[i] as string}`;
  const byAddress = new Map<string, number>(sim.ids.map((_, i) => [address(i), i]));
  const dialing = new Set<number>();
  const hv: HyParView[] = [];
  for (let i = 0; i < sim.n; i++) {
    const self = sim.ids[i] as NodeId;
    hv.push(
      createHyParView(init, {
        self,
        address: address(i),
        connect: (addr) => {
          const j = byAddress.get(addr);
          const key = i * sim.n + (j ?? 0);
          if (j === undefined || j === i || sim.adj[i]?.has(j) || dialing.has(key)) {
            if (j === undefined) sim.at(0, () => sim.alive[i] && hv[i]?.onConnectFailed(addr, 'unknown address'));
            return;
          }
          dialing.add(key);
          sim.at(2 * sim.delay(i, j), () => {
            dialing.delete(key);
            if (!sim.alive[i]) return;
            if (!sim.alive[j]) {
              sim.at(connectTimeoutMs, () => sim.alive[i] && hv[i]?.onConnectFailed(addr, 'timeout'));
              return;
            }
            sim.link(i, j);
          });
        },
        disconnect: (peer) => {
          const j = sim.indexOf(peer as NodeId);
          if (j !== undefined) sim.unlink(i, j, sim.delay(i, j), 'closed');
        },
        send: (peer, type, body) => {
          const j = sim.indexOf(peer as NodeId);
          return j === undefined ? 'closed' : sim.sendOther(i, j, type, body);
        },
        timers: {
          now: () => sim.now,
          setTimer: (ms, fn) => {
            let live = true;
            sim.at(ms, () => live && sim.alive[i] && fn());
            return () => {
              live = false;
            };
          },
        },
        random: mulberry32(i * 7717 + 13),
        events: {
          peerUp: (peer) => sim.nodes[i]?.onPeerUp(peer as NodeId),
          peerDown: (peer) => sim.nodes[i]?.onPeerDown(peer as NodeId),
        },
      }),
    );
  }
  sim.external = {
    up: (a, b) => hv[a]?.onLinkUp(sim.ids[b] as NodeId, address(b)),
    down: (a, b, reason) => hv[a]?.onLinkDown(sim.ids[b] as NodeId, reason),
    canSend: (a, b) => hv[a]?.isActive(sim.ids[b] as NodeId) ?? false,
    message: (to, from, type, body) => hv[to]?.onMessage(sim.ids[from] as NodeId, type, body),
  };
  return {
    hv,
    bootstrap(joinSpacingMs, settleMs, contacts = 2) {
      for (let i = 1; i < sim.n; i++) {
        const list = new Set<string>();
        for (let k = 0; k < contacts; k++) list.add(address(Math.floor(sim.random.next() * i)));
        hv[i]?.join([...list]);
        sim.runFor(joinSpacingMs);
      }
      sim.runFor(settleMs);
    },
  };
}
