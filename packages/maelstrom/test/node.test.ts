import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode } from '../src/protocol.js';
import { singleNode } from './helpers.js';

const INIT = { type: 'init', node_id: 'n1', node_ids: ['n1'] };

describe('createMaelstromNode: init', () => {
  it('answers init with init_ok from its own id, in reply to the msg_id', () => {
    const { send, out } = singleNode();
    const r = send({ ...INIT, msg_id: 7 }, 'c3');
    expect(r).toEqual({ src: 'n1', dest: 'c3', body: { type: 'init_ok', msg_id: expect.any(Number), in_reply_to: 7 } });
    expect(out).toHaveLength(1);
  });

  it('refuses requests before init with error 11 (temporarily unavailable)', () => {
    const { send } = singleNode();
    const r = send({ type: 'read' });
    expect(r?.body).toMatchObject({ type: 'error', code: ErrorCode.temporarilyUnavailable });
  });

  it('refuses a malformed init with error 12 and stays uninitialised', () => {
    const { send, node } = singleNode();
    for (const bad of [
      { type: 'init', node_id: 'n1', node_ids: ['n2'] },
      { type: 'init', node_id: 7, node_ids: ['n1'] },
      { type: 'init', node_id: 'n1', node_ids: 'n1' },
      { type: 'init', node_id: 'n1', node_ids: ['n1', 'n1'] },
    ]) {
      expect(send(bad)?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest });
    }
    expect(node.nodeId).toBeUndefined();
  });

  it('a repeated init with the same id is answered again; another id is refused', () => {
    const { send } = singleNode();
    send(INIT);
    expect(send(INIT)?.body.type).toBe('init_ok');
    expect(send({ type: 'init', node_id: 'n2', node_ids: ['n1', 'n2'] })?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest });
  });
});

describe('createMaelstromNode: broadcast workload', () => {
  it('topology_ok, broadcast_ok, and read returns every message once', () => {
    const { send } = singleNode();
    send(INIT);
    expect(send({ type: 'topology', topology: { n1: [] } })?.body.type).toBe('topology_ok');
    for (const m of [1, 2, 3, 2, 1]) expect(send({ type: 'broadcast', message: m })?.body.type).toBe('broadcast_ok');
    const r = send({ type: 'read' });
    expect(r?.body.type).toBe('read_ok');
    expect([...(r?.body.messages as number[])].sort()).toEqual([1, 2, 3]);
    expect(r?.body).not.toHaveProperty('value');
  });

  it('a broadcast without a message is malformed (12)', () => {
    const { send } = singleNode();
    send(INIT);
    expect(send({ type: 'broadcast' })?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest });
  });
});

describe('createMaelstromNode: g-set workload', () => {
  it('add_ok and read returns the elements as value', () => {
    const { send } = singleNode();
    send(INIT);
    for (const e of ['a', 'b', 'a', 4]) expect(send({ type: 'add', element: e })?.body.type).toBe('add_ok');
    const r = send({ type: 'read' });
    expect(r?.body.type).toBe('read_ok');
    expect(r?.body.value).toEqual(['a', 'b', 4]);
  });

  it('once serving g-set, counter adds and broadcasts are not supported (10)', () => {
    const { send } = singleNode();
    send(INIT);
    send({ type: 'add', element: 1 });
    expect(send({ type: 'add', delta: 1 })?.body).toMatchObject({ type: 'error', code: ErrorCode.notSupported });
    expect(send({ type: 'broadcast', message: 1 })?.body).toMatchObject({ type: 'error', code: ErrorCode.notSupported });
  });
});

describe('createMaelstromNode: counters', () => {
  it('pn-counter: read is the sum of deltas of any sign', () => {
    const { send } = singleNode({ workload: 'pn-counter' });
    send(INIT);
    expect(send({ type: 'read' })?.body).toMatchObject({ type: 'read_ok', value: 0 });
    for (const d of [5, -3, 10, 0, -20]) expect(send({ type: 'add', delta: d })?.body.type).toBe('add_ok');
    expect(send({ type: 'read' })?.body).toMatchObject({ type: 'read_ok', value: -8 });
  });

  it('g-counter: a negative delta is refused (12) and does not count', () => {
    const { send } = singleNode({ workload: 'g-counter' });
    send(INIT);
    send({ type: 'add', delta: 4 });
    expect(send({ type: 'add', delta: -1 })?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest });
    expect(send({ type: 'add', delta: 1.5 })?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest });
    expect(send({ type: 'read' })?.body).toMatchObject({ type: 'read_ok', value: 4 });
  });

  it('auto mode: a read before the workload is known is refused with 11; a delta fixes it', () => {
    const { send } = singleNode();
    send(INIT);
    expect(send({ type: 'read' })?.body).toMatchObject({ type: 'error', code: ErrorCode.temporarilyUnavailable });
    send({ type: 'add', delta: 2 });
    expect(send({ type: 'read' })?.body).toMatchObject({ type: 'read_ok', value: 2 });
  });
});

describe('createMaelstromNode: errors and hostile input', () => {
  it('unknown request types get error 10 with in_reply_to; echo works', () => {
    const { send } = singleNode();
    send(INIT);
    expect(send({ type: 'cas', key: 1, from: 1, to: 2, msg_id: 55 })?.body).toEqual({
      type: 'error',
      code: ErrorCode.notSupported,
      text: expect.any(String),
      in_reply_to: 55,
      msg_id: expect.any(Number),
    });
    expect(send({ type: 'echo', echo: { x: [1] } })?.body).toMatchObject({ type: 'echo_ok', echo: { x: [1] } });
  });

  it('malformed lines with src and msg_id are answered with 12; without them only logged', () => {
    const { node, out } = singleNode();
    node.handleLine('{"src":"c1","body":{"type":"read","msg_id":9}}');
    expect(out.at(-1)).toMatchObject({ dest: 'c1', body: { type: 'error', code: ErrorCode.malformedRequest, in_reply_to: 9 } });
    const before = out.length;
    for (const line of ['', 'null', '[]', '{', '{"src":1}', '{"src":"c1","dest":"n1","body":{"type":"read"}}', 'x'.repeat(1000)]) node.handleLine(line);
    expect(out.length).toBe(before);
    expect(node.stats().refused['malformed line']).toBeGreaterThan(0);
  });

  it('never answers a reply (no error loops between nodes)', () => {
    const { node, out, send } = singleNode();
    send(INIT);
    const before = out.length;
    node.handleLine(JSON.stringify({ src: 'c1', dest: 'n1', body: { type: 'error', code: 10, in_reply_to: 3, msg_id: 4 } }));
    node.handleLine(JSON.stringify({ src: 'c1', dest: 'n1', body: { type: 'read_ok', in_reply_to: 3 } }));
    expect(out.length).toBe(before);
  });

  it('fuzz: random lines never throw, every output is a protocol line, and the node still answers', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ src: fc.oneof(fc.constantFrom('c1', 'n2', 'n1'), fc.anything()), dest: fc.oneof(fc.constant('n1'), fc.anything()), body: fc.anything() }).map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constantFrom('init', 'read', 'broadcast', 'add', 'topology', 'echo', 'rumor', 'rumor_hello', 'rumor_hello_ok', 'rumor_reset', 'rumor_ping', 'rumor_close', 'x'),
          msg_id: fc.oneof(fc.nat(), fc.anything()),
          message: fc.anything(),
          element: fc.anything(),
          delta: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          l: fc.oneof(fc.nat(), fc.anything()),
          o: fc.oneof(fc.constantFrom(0, 1), fc.anything()),
          s: fc.oneof(fc.nat(), fc.anything()),
          f: fc.oneof(fc.base64String(), fc.string()),
          node_id: fc.constantFrom('n1', 'n2'),
          node_ids: fc.oneof(fc.constant(['n1', 'n2']), fc.anything()),
        }, { requiredKeys: ['type'] })
        .chain((body) => fc.record({ src: fc.constantFrom('c1', 'n2', 'n3'), dest: fc.constantFrom('n1', 'n2') }).map((h) => JSON.stringify({ ...h, body }))),
    );
    fc.assert(
      fc.property(fc.array(jsonish, { maxLength: 40 }), fc.boolean(), (lines, initFirst) => {
        const { node, raw, send, clock } = singleNode();
        if (initFirst) send({ type: 'init', node_id: 'n1', node_ids: ['n1', 'n2'] });
        for (const line of lines) {
          expect(() => node.handleLine(line)).not.toThrow();
          clock.run(clock.now() + 10);
        }
        for (const line of raw) {
          const m = JSON.parse(line) as { src: unknown; dest: unknown; body: { type: unknown } };
          expect(typeof m.dest).toBe('string');
          expect(typeof m.body.type).toBe('string');
        }
        // Still serving: initialised (if the fuzz did not) and answering an echo.
        if (node.nodeId === undefined) send({ type: 'init', node_id: 'n1', node_ids: ['n1', 'n2'] });
        expect(send({ type: 'echo', echo: 1 }, 'c1', node.nodeId)?.body.type).toBe('echo_ok');
      }),
      { numRuns: 200 },
    );
  });

  it('deeply nested JSON is refused as a value or unparsable, never a crash', () => {
    const { send, node, out } = singleNode();
    send(INIT);
    const nest = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
    node.handleLine(`{"src":"c1","dest":"n1","body":{"type":"broadcast","msg_id":500,"message":${nest(5000)}}}`);
    expect(out.at(-1)?.body).toMatchObject({ type: 'error', code: ErrorCode.malformedRequest, in_reply_to: 500 });
    for (const line of [
      `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":501,"echo":${nest(100_000)}}}`,
      `{"src":"c1","dest":"n1","body":{"type":"read","msg_id":502,"x":${nest(300_000)}}}`,
      nest(500_000),
    ]) {
      expect(() => node.handleLine(line)).not.toThrow();
    }
    expect(send({ type: 'echo', echo: 2 })?.body.type).toBe('echo_ok');
  });
});
