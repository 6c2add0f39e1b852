// Reproduction for @rumor/broadcast (see docs/maelstrom.md, "Figures"): Plumtree alone, no Maelstrom, no HyParView.
// 25 nodes on a random overlay of degree 5 with constant one-way link delays, broadcasts from random origins at a
// given rate for 20 s, then the traffic per broadcast and the spread (first to last delivery) of each message.
// A settled tree costs 24 GOSSIPs and no GRAFT or PRUNE per broadcast.
//   npx tsc -b bench && node bench/maelstrom/plumtree-storm.mjs [rate=50] [delayMs=100] [plumtreeInitJson]
import { PlumtreeSim, mulberry32 } from '../dist/lib/plumtree-sim.js';

const rate = Number(process.argv[2] ?? 50);
const delay = Number(process.argv[3] ?? 100);
const init = JSON.parse(process.argv[4] ?? '{}');
const sim = new PlumtreeSim({ seed: 3, nodes: 25, linkDelayMinMs: delay, linkDelayMaxMs: delay + 0.001, plumtree: init });
sim.randomOverlay(5);
const r = mulberry32(11);
const ids = [];
let t = 0;
for (let k = 0; k < rate * 20; k++) {
  t += r.next() * (2000 / rate);
  sim.at(t, () => ids.push(sim.broadcast(Math.floor(r.next() * 25))));
}
sim.run(t + 5000);
const spread = ids
  .map((id) => {
    const at = Array.from(sim.records.get(id).deliveredAt).filter((x) => x >= 0);
    return Math.max(...at) - Math.min(...at);
  })
  .sort((a, b) => a - b);
const per = (k) => (sim.traffic[k] / ids.length).toFixed(1);
console.log(
  JSON.stringify({ rate, delayMs: delay, init, broadcasts: ids.length, perBroadcast: { gossip: per('gossip'), ihave: per('ihave'), graft: per('graft'), prune: per('prune') }, spreadMs: { p50: Math.round(spread[spread.length >> 1]), max: Math.round(spread.at(-1)) } }),
);
