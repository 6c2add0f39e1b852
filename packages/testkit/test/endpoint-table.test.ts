// The endpoint table: records are recycled only when both sides are closed and nothing is queued towards either,
// and a recycled endpoint reads closed forever (a closure still holding it never sees the next tenant).
import { describe, expect, it } from 'vitest';
import { CLOSED, DUPS, EndpointTable, OPEN, PINNED, REC, RECEIVED, SENT, STATE } from '../src/endpoint-table.js';
import { Conn, Dial, Endpoint, NodeState, type CarrierState } from '../src/network-state.js';
import { createRandom } from '../src/random.js';
import type { NodeId } from '../src/ports.js';

const carrier = (): CarrierState => ({ listener: null, live: true, sendEp: -1, incarnation: 0, closed: false });

function connection(table: EndpointTable) {
  const x = new NodeState(0, 'x' as NodeId, 'sim://x', createRandom(1));
  const y = new NodeState(1, 'y' as NodeId, 'sim://y', createRandom(2));
  const conn = new Conn(0, new Dial(x, 0, y.address, 0));
  const a = new Endpoint(table, x, conn, 0, carrier(), y.id);
  const b = new Endpoint(table, y, conn, 0, carrier(), x.id);
  a.peer = b;
  b.peer = a;
  table.pair(a, b, 1, 2);
  return { a, b };
}

describe('EndpointTable', () => {
  it('recycles a connection only when both sides are closed and nothing is in flight', () => {
    const table = new EndpointTable(2);
    const { a, b } = connection(table);
    expect(table.live).toBe(2);
    a.state = OPEN;
    b.state = OPEN;
    a.state = CLOSED;
    table.recycleIfDone(a);
    expect(table.live).toBe(2); // b still open
    b.state = CLOSED;
    const rec = table.rec;
    rec[b.index * REC + SENT] = 3; // three messages from b, two of which left the wire at a: one still queued
    rec[a.index * REC + RECEIVED] = 2;
    table.recycleIfDone(b);
    expect(table.live).toBe(2);
    rec[a.index * REC + RECEIVED] = 3;
    rec[a.index * REC + DUPS] = 1; // a duplicate copy still queued towards a
    table.recycleIfDone(b);
    expect(table.live).toBe(2);
    rec[a.index * REC + DUPS] = 0;
    rec[a.index * REC + STATE]! |= PINNED; // a flush loop is running at a
    table.recycleIfDone(b);
    expect(table.live).toBe(2);
    rec[a.index * REC + STATE]! &= ~PINNED;
    table.recycleIfDone(b);
    expect(table.live).toBe(0);
    expect(a.index).toBe(-1);
    expect(b.index).toBe(-1);
    expect(a.state).toBe(CLOSED);
    expect(() => (a.state = OPEN)).toThrow(/recycled/);
  });

  it('reuses freed records for new connections, which start clean', () => {
    const table = new EndpointTable(2);
    const first = connection(table);
    const [ia, ib] = [first.a.index, first.b.index];
    first.a.state = CLOSED;
    first.b.state = CLOSED;
    table.recycleIfDone(first.a);
    const second = connection(table);
    expect([second.a.index, second.b.index].sort()).toEqual([ia, ib].sort());
    expect(second.a.state).toBe(0); // PENDING
    expect(first.a.state).toBe(CLOSED); // the old handle is not fooled by the new tenant
    expect(table.live).toBe(2);
  });

  it('grows past its initial capacity', () => {
    const table = new EndpointTable(1);
    const conns = Array.from({ length: 50 }, () => connection(table));
    expect(table.live).toBe(100);
    for (const { a, b } of conns) expect(table.rec[a.index * REC + 1]).toBe(b.index); // PEER links survive growth
  });
});
