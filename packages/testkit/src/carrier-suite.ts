/**
 * The carrier acceptance suite (design §2): one set of vitest tests that every `Carrier` implementation passes —
 * the simulated carrier here, the WebSocket carrier in carrier-ws. The harness abstracts time: a simulated harness
 * runs its simulation in `advance`, a real one waits, so the suite never assumes either.
 */
import { describe, expect, it } from 'vitest';
import type { Carrier, Envelope, NodeId } from './ports.js';
import { createSimulation, type SimulationInit } from './simulation.js';

/** What a carrier implementation provides to the suite, freshly for each test. */
export interface CarrierTestHarness {
  /** The carriers under test, not yet connected to each other. */
  carriers: Carrier[];
  /** Let `ms` of the harness's time pass (simulated: run the simulation; real: wait). */
  advance(ms: number): Promise<void>;
  /** An address nothing listens on. */
  deadAddress: string;
  /** Release everything the harness opened. */
  dispose(): Promise<void>;
  /** Body size in characters of each message of the backpressure test (default 1024). */
  backpressureBodyBytes?: number;
  /** The most messages sent in one burst looking for `backpressure` (default 100 000). */
  backpressureMaxSends?: number;
  /** The longest the suite waits for an expected event, in harness milliseconds (default 15 000). */
  patienceMs?: number;
}

/** Builds a harness with `count` carriers. */
export type CarrierTestFactory = (count: number) => CarrierTestHarness | Promise<CarrierTestHarness>;

type Ev =
  | { e: 'up'; peer: string; address: string }
  | { e: 'down'; peer: string; reason: string }
  | { e: 'message'; peer: string; envelope: Envelope }
  | { e: 'connectFailed'; address: string; reason: string }
  | { e: 'drain'; peer: string };

function listen(c: Carrier): Ev[] {
  const log: Ev[] = [];
  c.listen({
    up: (peer, address) => log.push({ e: 'up', peer, address }),
    down: (peer, reason) => log.push({ e: 'down', peer, reason }),
    message: (peer, envelope) => log.push({ e: 'message', peer, envelope }),
    connectFailed: (address, reason) => log.push({ e: 'connectFailed', address, reason }),
    drain: (peer) => log.push({ e: 'drain', peer }),
  });
  return log;
}

const msg = (body: unknown): Envelope => ({ v: 1, layer: 'replica', type: 'suite', body });
const ups = (log: Ev[], peer: string) => log.filter((x) => x.e === 'up' && x.peer === peer);
const downs = (log: Ev[], peer: string) => log.filter((x) => x.e === 'down' && x.peer === peer);
const messages = (log: Ev[], peer: string) =>
  log.filter((x): x is Extract<Ev, { e: 'message' }> => x.e === 'message' && x.peer === peer);

/** Registers the carrier acceptance suite as `describe(name)` with one `it` per contract clause. */
export function runCarrierTests(name: string, factory: CarrierTestFactory): void {
  async function withHarness(count: number, body: (h: CarrierTestHarness, logs: Ev[][], until: (cond: () => boolean, what: string) => Promise<void>) => Promise<void>) {
    const h = await factory(count);
    const logs = h.carriers.map(listen);
    const patience = h.patienceMs ?? 15_000;
    const until = async (cond: () => boolean, what: string) => {
      let waited = 0;
      while (!cond()) {
        if (waited >= patience) throw new Error(`carrier suite: gave up after ${patience} ms waiting for ${what}`);
        await h.advance(10);
        waited += 10;
      }
    };
    try {
      await body(h, logs, until);
    } finally {
      await h.dispose();
    }
  }

  async function connectPair(h: CarrierTestHarness, logs: Ev[][], until: (c: () => boolean, w: string) => Promise<void>) {
    const [a, b] = h.carriers as [Carrier, Carrier];
    a.connect(b.address);
    await until(() => ups(logs[0]!, b.self).length > 0 && ups(logs[1]!, a.self).length > 0, 'up on both ends');
    return [a, b] as const;
  }

  describe(name, () => {
    it('connect: both ends see up with the other’s id and advertised address', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = await connectPair(h, logs, until);
        expect(ups(logs[0]!, b.self)).toEqual([{ e: 'up', peer: b.self, address: b.address }]);
        expect(ups(logs[1]!, a.self)).toEqual([{ e: 'up', peer: a.self, address: a.address }]);
      });
    });

    it('messages arrive in order and intact, both ways', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = await connectPair(h, logs, until);
        const sent = Array.from({ length: 200 }, (_, i) => ({ i, s: 'ü'.repeat(i % 7), nested: { list: [i, -i - 1, 0.5], ok: i % 2 === 0 } }));
        // Honour backpressure: on a full queue, wait for drain and retry (the protocol layers do the same).
        const drains = (log: Ev[], peer: string) => log.filter((x) => x.e === 'drain' && x.peer === peer).length;
        for (const body of sent) {
          for (const [from, to, log] of [[a, b, logs[0]!], [b, a, logs[1]!]] as const) {
            for (;;) {
              const seen = drains(log, to.self);
              const r = from.send(to.self, msg(body));
              if (r === 'accepted') break;
              expect(r).toBe('backpressure');
              await until(() => drains(log, to.self) > seen, 'drain');
            }
          }
        }
        await until(() => messages(logs[1]!, a.self).length >= 200 && messages(logs[0]!, b.self).length >= 200, '200 messages each way');
        await h.advance(50);
        expect(messages(logs[1]!, a.self).map((m) => m.envelope)).toEqual(sent.map(msg));
        expect(messages(logs[0]!, b.self).map((m) => m.envelope)).toEqual(sent.map(msg));
      });
    });

    it('send to an unknown peer is closed', async () => {
      await withHarness(2, async (h) => {
        expect(h.carriers[0]!.send('nobody-here' as NodeId, msg(1))).toBe('closed');
        expect(h.carriers[0]!.send(h.carriers[1]!.self, msg(1))).toBe('closed');
      });
    });

    it('disconnect: both ends see down(closed), sends answer closed, no message after', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = await connectPair(h, logs, until);
        a.disconnect(b.self);
        await until(() => downs(logs[0]!, b.self).length > 0 && downs(logs[1]!, a.self).length > 0, 'down on both ends');
        expect(downs(logs[0]!, b.self)).toEqual([{ e: 'down', peer: b.self, reason: 'closed' }]);
        expect(downs(logs[1]!, a.self)).toEqual([{ e: 'down', peer: a.self, reason: 'closed' }]);
        expect(a.send(b.self, msg('after'))).toBe('closed');
        expect(b.send(a.self, msg('after'))).toBe('closed');
        await h.advance(200);
        const afterDown = (log: Ev[], peer: string) => log.slice(log.findIndex((x) => x.e === 'down')).filter((x) => x.e === 'message' && x.peer === peer);
        expect(afterDown(logs[0]!, b.self)).toEqual([]);
        expect(afterDown(logs[1]!, a.self)).toEqual([]);
      });
    });

    it('connect to a dead address: connectFailed', async () => {
      await withHarness(1, async (h, logs, until) => {
        h.carriers[0]!.connect(h.deadAddress);
        await until(() => logs[0]!.some((x) => x.e === 'connectFailed'), 'connectFailed');
        expect(logs[0]!).toEqual([{ e: 'connectFailed', address: h.deadAddress, reason: expect.any(String) }]);
      });
    });

    it('dialling a connected peer is a no-op that re-emits nothing', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = await connectPair(h, logs, until);
        a.connect(b.address);
        await h.advance(200);
        expect(ups(logs[0]!, b.self)).toHaveLength(1);
        expect(ups(logs[1]!, a.self)).toHaveLength(1);
        expect(logs[0]!.filter((x) => x.e === 'down' || x.e === 'connectFailed')).toEqual([]);
      });
    });

    it('backpressure: a burst eventually yields backpressure, then drain, then accepted again', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = await connectPair(h, logs, until);
        const pad = 'x'.repeat(h.backpressureBodyBytes ?? 1024);
        const max = h.backpressureMaxSends ?? 100_000;
        let accepted = 0;
        let result: string = 'accepted';
        while (accepted < max && (result = a.send(b.self, msg({ n: accepted, pad }))) === 'accepted') accepted++;
        expect(result).toBe('backpressure');
        await until(() => logs[0]!.some((x) => x.e === 'drain' && x.peer === b.self), 'drain');
        expect(a.send(b.self, msg({ n: accepted, pad }))).toBe('accepted');
        await until(() => messages(logs[1]!, a.self).length >= accepted + 1, 'every accepted message');
        expect(messages(logs[1]!, a.self).map((m) => (m.envelope.body as { n: number }).n)).toEqual([...Array(accepted + 1).keys()]);
      });
    });

    it('simultaneous dials end as one connection', async () => {
      await withHarness(2, async (h, logs, until) => {
        const [a, b] = h.carriers as [Carrier, Carrier];
        a.connect(b.address);
        b.connect(a.address);
        await until(() => ups(logs[0]!, b.self).length > 0 && ups(logs[1]!, a.self).length > 0, 'up on both ends');
        await h.advance(500);
        const net = (log: Ev[], peer: string) => ups(log, peer).length - downs(log, peer).length;
        expect(net(logs[0]!, b.self)).toBe(1);
        expect(net(logs[1]!, a.self)).toBe(1);
        expect(a.send(b.self, msg('a→b'))).toBe('accepted');
        expect(b.send(a.self, msg('b→a'))).toBe('accepted');
        await until(() => messages(logs[1]!, a.self).length > 0 && messages(logs[0]!, b.self).length > 0, 'a message each way');
        expect(messages(logs[1]!, a.self).map((m) => m.envelope.body)).toEqual(['a→b']);
        expect(messages(logs[0]!, b.self).map((m) => m.envelope.body)).toEqual(['b→a']);
      });
    });

    it('close(): every peer sees down and sends to it answer closed', async () => {
      await withHarness(3, async (h, logs, until) => {
        const [a, b, c] = h.carriers as [Carrier, Carrier, Carrier];
        a.connect(b.address);
        a.connect(c.address);
        await until(() => ups(logs[1]!, a.self).length > 0 && ups(logs[2]!, a.self).length > 0 && ups(logs[0]!, b.self).length > 0 && ups(logs[0]!, c.self).length > 0, 'a connected to b and c');
        await a.close();
        await until(() => downs(logs[1]!, a.self).length > 0 && downs(logs[2]!, a.self).length > 0, 'down at b and c');
        expect(b.send(a.self, msg(1))).toBe('closed');
        expect(c.send(a.self, msg(1))).toBe('closed');
        expect(a.send(b.self, msg(1))).toBe('closed');
      });
    });
  });
}

/** A `CarrierTestFactory` over a fresh simulation (the simulated carrier's own acceptance run). */
export function simulatedCarrierFactory(init: Partial<SimulationInit> = {}): CarrierTestFactory {
  return (count) => {
    const sim = createSimulation({ seed: 1, sendQueueMax: 64, ...init });
    const nodes = Array.from({ length: count }, (_, i) => sim.addNode(`carrier-${i}`));
    return {
      carriers: nodes.map((n) => n.carrier),
      advance: async (ms) => {
        sim.run({ forMs: ms });
      },
      deadAddress: 'sim://nobody',
      dispose: async () => {},
      backpressureMaxSends: 10_000,
    };
  };
}
