// The simulator's fast paths keep the network model: send caches never pick the wrong connection, endpoint records
// are recycled under churn without a message ever reaching the wrong node, and the event order — hence every trace
// hash — is the one the engine had before its hot state moved into typed arrays.
import { describe, expect, it } from 'vitest';
import { createSimulation, exponentialLatency, uniformLatency, constantLatency } from '../src/index.js';
import type { CarrierEvents, Envelope, NodeId, SimNode, Simulation, SimulationInit } from '../src/index.js';
import { endpointsInUse } from '../src/simulation.js';
import { bodies, env, id, record } from './helpers.js';

const quiet = (message: CarrierEvents['message']): CarrierEvents => ({
  up: () => {},
  down: () => {},
  connectFailed: () => {},
  drain: () => {},
  message,
});

function trio() {
  const sim = createSimulation({ seed: 5 });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => sim.addNode(n)) as [SimNode, SimNode, SimNode];
  a.carrier.connect(b.address);
  c.carrier.connect(b.address);
  a.carrier.connect(c.address);
  sim.run();
  return { sim, a, b, c };
}

describe('send caches', () => {
  it('a handler answering a third peer reaches that peer, from the right node', () => {
    const { sim, a, b, c } = trio();
    b.carrier.listen(quiet((peer, e) => void b.carrier.send(id('c'), env(`${peer}:${e.body}`))));
    const lc = record(c.carrier, () => sim.now());
    a.carrier.send(id('b'), env(1));
    sim.run();
    expect(lc.filter((r) => r.e === 'message')).toMatchObject([{ peer: 'b', body: 'a:1' }]);
  });

  it('the reply cache never crosses carriers: another node sending to the same peer uses its own connection', () => {
    const { sim, a, b, c } = trio();
    const lb = record(b.carrier, () => sim.now());
    // While a handles b's message, c (not a) sends to b: the message must arrive from c.
    a.carrier.listen(quiet(() => void c.carrier.send(id('b'), env('from-c'))));
    b.carrier.send(id('a'), env('ping'));
    sim.run();
    expect(lb.filter((r) => r.e === 'message')).toMatchObject([{ peer: 'c', body: 'from-c' }]);
  });

  it('after a reconnect, send uses the new connection; in between it answers closed', () => {
    const { sim, a, b } = trio();
    const lb = record(b.carrier, () => sim.now());
    expect(a.carrier.send(id('b'), env(1))).toBe('accepted');
    a.carrier.disconnect(id('b'));
    expect(a.carrier.send(id('b'), env(2))).toBe('closed');
    sim.run();
    a.carrier.connect(b.address);
    sim.run();
    expect(a.carrier.send(id('b'), env(3))).toBe('accepted');
    sim.run();
    expect(bodies(lb)).toEqual([1, 3]);
  });

  it('a listener replaced mid-run receives the messages of existing connections', () => {
    const { sim, a, b } = trio();
    const first = record(b.carrier, () => sim.now());
    a.carrier.send(id('b'), env(1));
    sim.run();
    const second = record(b.carrier, () => sim.now());
    a.carrier.send(id('b'), env(2));
    sim.run();
    expect(bodies(first)).toEqual([1]);
    expect(bodies(second)).toEqual([2]);
  });
});

interface Tagged {
  from: string;
  to: string;
  epoch: number;
  n: number;
}

describe('endpoint recycling under churn', () => {
  it('connections come and go (dials, closes, crashes, cuts, loss, duplicates): every message reaches the node it was sent to, in order per connection, and no record leaks', () => {
    const sim = createSimulation({ seed: 11, latency: uniformLatency(1, 20), faults: { loss: 0.02, duplicate: 0.05 }, failureDetectionMs: 300, connectTimeoutMs: 300 });
    const N = 24;
    const nodes = Array.from({ length: N }, (_, i) => sim.addNode(`n${i}`));
    const epochs = new Map<string, number>(); // "from>to" → sender's connection count
    const lastSeen = new Map<string, [number, number]>(); // "from>to" → last (epoch, n) received
    let received = 0;
    const counters = new Map<string, number>();
    const attach = (node: SimNode) => {
      const carrier = node.carrier;
      carrier.listen({
        up: (peer) => void epochs.set(`${node.id}>${peer}`, (epochs.get(`${node.id}>${peer}`) ?? 0) + 1),
        down: () => {},
        connectFailed: () => {},
        drain: () => {},
        message: (peer, e) => {
          const m = e.body as Tagged;
          expect(peer).toBe(m.from);
          expect(node.id).toBe(m.to);
          const key = `${m.from}>${m.to}`;
          const last = lastSeen.get(key);
          // FIFO per connection; a duplicate repeats the last one; a newer connection starts afresh.
          if (last !== undefined) expect(m.epoch > last[0] || (m.epoch === last[0] && m.n >= last[1])).toBe(true);
          lastSeen.set(key, [m.epoch, m.n]);
          received++;
          if (m.n % 3 === 0) send(node, peer); // answer from inside the handler: the reply cache path
        },
      });
    };
    const send = (from: SimNode, to: NodeId) => {
      const key = `${from.id}>${to}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      const body: Tagged = { from: from.id, to, epoch: epochs.get(key) ?? 0, n };
      from.carrier.send(to, { v: 1, layer: 'replica', type: 'tagged', body } as Envelope);
    };
    nodes.forEach(attach);
    const rnd = sim.fork('churn');
    for (const x of nodes) for (let k = 0; k < 5; k++) x.carrier.connect(nodes[rnd.int(N)]!.address);
    const pick = () => nodes[rnd.int(N)]!;
    let peakInUse = 0;
    for (let step = 0; step < 1500; step++) {
      const x = pick();
      const roll = rnd.next();
      if (!x.alive) {
        if (roll < 0.3) attach(sim.restart(x.id)); // state lost or kept: listening again is harmless either way
      } else if (roll < 0.25) {
        for (let k = 0; k < 3; k++) x.carrier.connect(pick().address);
      } else if (roll < 0.4) {
        for (const z of nodes) if (rnd.chance(0.5)) x.carrier.disconnect(z.id);
      } else if (roll < 0.42) {
        sim.crash(x.id, { keepState: rnd.chance(0.5), detectAfterMs: rnd.chance(0.5) ? 10 : 300 });
      } else if (roll < 0.44) {
        const cut = sim.partition([x.id], undefined, { oneWay: rnd.chance(0.3) });
        sim.timers.setTimer(rnd.chance(0.5) ? 50 : 500, () => cut.heal());
      } else {
        for (const z of nodes) send(x, z.id);
      }
      sim.run({ forMs: 5 });
      peakInUse = Math.max(peakInUse, endpointsInUse(sim));
    }
    const connectionsMade = sim.stats.ups / 2;
    expect(received).toBeGreaterThan(5000);
    expect(sim.stats.held + sim.stats.duplicated + sim.stats.lost).toBeGreaterThan(300); // the faults did bite
    expect(2 * connectionsMade).toBeGreaterThan(3 * peakInUse); // records were reused, not just allocated
    sim.heal();
    for (const n of nodes) if (!n.alive) sim.restart(n.id);
    for (const n of nodes) void n.carrier.close();
    sim.run();
    expect(endpointsInUse(sim)).toBe(0);
  });
});

// The scenarios below and their hashes were recorded with the engine before its rewrite (object endpoints and
// events); equal hashes mean the same events in the same order at the same virtual times.
function scenario(seed: number, init: Partial<SimulationInit>, drive: (sim: Simulation, nodes: SimNode[], attach: (n: SimNode) => void) => void) {
  const sim = createSimulation({ seed, ...init });
  const nodes: SimNode[] = [];
  const attach = (n: SimNode) => {
    const c = n.carrier;
    c.listen(
      quiet((peer, e) => {
        if (typeof e.body === 'number' && e.body < 4 && n.random.next() < 0.7) c.send(peer, env(e.body + 1));
      }),
    );
  };
  drive(sim, nodes, attach);
  return sim.traceHash();
}

const add = (sim: Simulation, nodes: SimNode[], attach: (n: SimNode) => void, count: number) => {
  for (let i = 0; i < count; i++) {
    const n = sim.addNode(`n${i}`);
    nodes.push(n);
    attach(n);
  }
};
const sendAll = (nodes: SimNode[], body: number) => {
  for (const n of nodes) for (const p of nodes) n.carrier.send(p.id, env(body));
};

describe('trace hashes recorded before the rewrite', () => {
  it('loss, duplication, reordering, per-link latency', () => {
    const hash = scenario(1, { faults: { loss: 0.05, duplicate: 0.1, reorder: 0.1 } }, (sim, nodes, attach) => {
      add(sim, nodes, attach, 30);
      for (const n of nodes) for (let k = 0; k < 3; k++) n.carrier.connect(nodes[n.random.int(30)]!.address);
      sim.run({ forMs: 1000 });
      sendAll(nodes, 0);
      sim.run({ forMs: 500 });
      sim.setLink('n1', 'n2', { latency: exponentialLatency(20, 1), loss: 0.2 }, { both: true });
      sendAll(nodes, 0);
      sim.run({ forMs: 10_000 });
    });
    expect(hash).toBe('b91029ed:1239');
  });

  it('partitions (two-way, one-way, blocked link), heal, held messages', () => {
    const hash = scenario(1, {}, (sim, nodes, attach) => {
      add(sim, nodes, attach, 20);
      for (const n of nodes) for (const p of nodes) if (n.id < p.id) n.carrier.connect(p.address);
      sim.run();
      const p1 = sim.partition(['n0', 'n1', 'n2', 'n3']);
      sendAll(nodes, 0);
      sim.run({ forMs: 2000 });
      p1.heal();
      sim.run({ forMs: 2000 });
      sim.partition(['n4', 'n5'], ['n6', 'n7'], { oneWay: true });
      sim.setLink('n8', 'n9', { blocked: true });
      sendAll(nodes, 0);
      sim.run({ forMs: 8000 });
      sim.heal();
      sendAll(nodes, 0);
      for (const n of nodes) for (const p of nodes) if (n.id < p.id) n.carrier.connect(p.address);
      sim.run({ forMs: 8000 });
    });
    expect(hash).toBe('7b817dde:3745');
  });

  it('crashes (state kept and lost), restarts, backpressure, drift, clock steps, close, refused dials', () => {
    const hash = scenario(1, { sendQueueMax: 4 }, (sim, nodes, attach) => {
      add(sim, nodes, attach, 12);
      for (const n of nodes) for (const p of nodes) if (n.id !== p.id) n.carrier.connect(p.address);
      sim.run({ forMs: 100 });
      for (let k = 0; k < 8; k++) sendAll(nodes, 10);
      sim.crash('n3');
      sim.crash('n4', { keepState: true, detectAfterMs: 10 });
      sim.setClockDrift('n5', 1e5);
      nodes[5]!.timers.setTimer(1000, () => nodes[5]!.carrier.disconnect(id('n6')));
      sim.timers.setTimer(500, () => void nodes[7]!.carrier.close());
      sim.run({ forMs: 3000 });
      sim.restart('n4');
      attach(sim.restart('n3'));
      sim.stepClock('n5', 100);
      for (const n of nodes) n.carrier.connect('sim://n3');
      nodes[3]!.carrier.connect('sim://n4');
      nodes[3]!.carrier.connect('sim://nobody');
      sim.run({ forMs: 10_000 });
      for (let k = 0; k < 8; k++) sendAll(nodes, 10);
      sim.run();
    });
    expect(hash).toBe('e3a0d454:1293');
  });

  it('a ring of ping-pong under the default latency', () => {
    const sim = createSimulation({ seed: 1 });
    const nodes = Array.from({ length: 300 }, (_, i) => sim.addNode(`n${i}`));
    for (const n of nodes) {
      const c = n.carrier;
      c.listen(quiet((p) => void c.send(p, env(1))));
    }
    for (let i = 0; i < 300; i++) nodes[i]!.carrier.connect(nodes[(i + 1) % 300]!.address);
    sim.run();
    for (let i = 0; i < 300; i++) nodes[i]!.carrier.send(nodes[(i + 1) % 300]!.id, env(0));
    sim.run({ maxEvents: 100_000 });
    expect(sim.traceHash()).toBe('15adf7c9:100600');
  });

  it('a JSON codec with constant latency, timers, and the readable trace', () => {
    const sim = createSimulation({ seed: 1, messages: 'json', latency: constantLatency(3), trace: 50 });
    const nodes = Array.from({ length: 3 }, (_, i) => sim.addNode(`n${i}`));
    nodes[0]!.carrier.connect('sim://n1');
    nodes[1]!.carrier.connect('sim://n0');
    sim.run();
    sendAll(nodes, 0);
    sim.run();
    sim.timers.setTimer(1, () => {});
    nodes[2]!.timers.setTimer(2, () => {});
    sim.run();
    expect(sim.trace()).toEqual([
      '6.000 deliver n1→n0 accept',
      '9.000 deliver n0→n1 test',
      '9.000 deliver n1→n0 test',
      '10.000 timer global',
      '11.000 timer n2',
    ]);
    expect(sim.traceHash()).toBe('5cb2b0e4:7');
    expect(sim.stats.bytes).toBe(96);
  });
});
