import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHlc } from '@rumor/hlc';
import { createFileStorage, createReplicatedMap } from '@rumor/map';
import type { NodeId } from '@rumor/ormap';
import { createMetrics } from '@rumor/status';
import { fakeSnapshot, mapStatus } from './fixtures.js';
import { parsePrometheusText, sampleValue } from './prom-parser.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('parsePrometheusText (the test oracle is strict)', () => {
  const ok = '# HELP a_total Things.\n# TYPE a_total counter\na_total{x="1"} 3\n';
  it('accepts a valid exposition and unescapes labels and help', () => {
    const f = parsePrometheusText('# HELP b A \\\\ b\\nc\n# TYPE b gauge\nb{l="q\\"\\\\\\n",m="2",} -1.5e3 1700000000\nb NaN\n');
    expect(f.get('b')!.help).toBe('A \\ b\nc');
    expect(f.get('b')!.samples[0]).toMatchObject({ labels: { l: 'q"\\\n', m: '2' }, value: -1500, timestamp: 1700000000 });
    expect(Number.isNaN(f.get('b')!.samples[1]!.value)).toBe(true);
    expect(parsePrometheusText(ok).get('a_total')!.type).toBe('counter');
  });
  it.each([
    ['no final newline', ok.trimEnd()],
    ['bad metric name', '9a 1\n'],
    ['bad label name', 'a{9="x"} 1\n'],
    ['reserved label name', 'a{__x="x"} 1\n'],
    ['label twice', 'a{x="1",x="2"} 1\n'],
    ['bad escape', 'a{x="\\t"} 1\n'],
    ['unterminated value', 'a{x="1} 1\n'],
    ['bad value', 'a 1,5\n'],
    ['bad timestamp', 'a 1 1.5\n'],
    ['type after samples', 'a 1\n# TYPE a gauge\n'],
    ['unknown type', '# TYPE a meter\n'],
    ['two HELP lines', '# HELP a x\n# HELP a y\n'],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['family not contiguous', 'a 1\nb 1\na{x="1"} 1\n'],
    ['negative counter', '# TYPE c counter\nc -1\n'],
    ['a histogram sample with another suffix', '# TYPE h histogram\nh_max 1\n'],
    ['le on a histogram _sum', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum{le="1"} 1\nh_count 1\n'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram +Inf is not _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
    ['histogram without _sum', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('createMetrics', () => {
  it('renders every layer from one snapshot, in the text format, with the layers’ own totals', async () => {
    const m = createMetrics();
    const snapshot = fakeSnapshot({ maps: { default: mapStatus('default'), 'we"ird\\na\nme': mapStatus('we"ird\\na\nme', 2) } });
    const text = await m.text(snapshot, {
      gathers: 2,
      gathersComplete: 1,
      gathersTimedOut: 1,
      asksSent: 2,
      asksReceived: 5,
      cardsSent: 3,
      cardsReceived: 9,
      answersCoalesced: 1,
      cards: 4,
      rejected: { 'status.bad-card': 1 },
    });
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const f = parsePrometheusText(text);
    for (const family of f.values()) {
      expect(family.name.startsWith('rumor_')).toBe(true);
      expect(family.help).toBeTruthy();
      expect(family.type).not.toBe('untyped');
      if (family.type === 'counter') expect(family.name.endsWith('_total')).toBe(true);
    }
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(f, name, labels);
    expect(v('rumor_node_info', { id: 'n1', cluster: 'rumor' })).toBe(1);
    expect(v('rumor_carrier_messages_total', { direction: 'in' })).toBe(100);
    expect(v('rumor_carrier_bytes_total', { direction: 'out' })).toBe(9000);
    expect(v('rumor_carrier_send_queue_bytes')).toBe(300);
    expect(v('rumor_carrier_send_queue_bytes_max')).toBe(200);
    expect(v('rumor_membership_view_size', { view: 'active' })).toBe(2);
    expect(v('rumor_membership_messages_total', { direction: 'in', type: 'shuffle-reply' })).toBe(5);
    expect(v('rumor_membership_peer_down_total', { reason: 'evicted' })).toBe(2);
    expect(v('rumor_broadcast_messages_total', { direction: 'out', type: 'prune' })).toBe(14);
    expect(v('rumor_broadcast_messages_total', { direction: 'in', type: 'graft' })).toBe(23);
    expect(v('rumor_broadcast_duplicates_total')).toBe(8);
    expect(v('rumor_broadcast_grafts_total', { outcome: 'served' })).toBe(4);
    expect(v('rumor_broadcast_peers', { set: 'lazy' })).toBe(1);
    expect(v('rumor_broadcast_dropped_total', { reason: 'peerDown' })).toBe(2);
    expect(v('rumor_replica_transfer_bytes_total', { direction: 'in' })).toBe(5000);
    expect(v('rumor_replica_anti_entropy_rounds_total', { instance: 'default' })).toBe(4);
    expect(v('rumor_rejected_total', { layer: 'carrier', code: 'carrier.frame-too-large' })).toBe(2);
    expect(v('rumor_rejected_total', { layer: 'stack', code: 'stack.version' })).toBe(1);
    expect(v('rumor_rejected_total', { layer: 'status', code: 'status.bad-card' })).toBe(1);
    expect(v('rumor_map_keys', { map: 'default' })).toBe(10);
    // A map name with a quote, a backslash and a newline survives the label escaping exactly.
    expect(v('rumor_map_keys', { map: 'we"ird\\na\nme' })).toBe(20);
    expect(v('rumor_wal_fsyncs_total', { map: 'we"ird\\na\nme' })).toBe(18);
    expect(v('rumor_status_messages_total', { direction: 'in', type: 'card' })).toBe(9);
    expect(v('rumor_status_cards')).toBe(4);
  });

  it('follows the snapshot: series of a closed map disappear, counters take the new totals', async () => {
    const m = createMetrics();
    await m.text(fakeSnapshot({ maps: { a: mapStatus('a'), b: mapStatus('b') } }));
    const f = parsePrometheusText(await m.text(fakeSnapshot({ maps: { a: mapStatus('a', 3) }, carrier: { messagesIn: 250 } })));
    expect(f.get('rumor_map_keys')!.samples.map((s) => s.labels.map)).toEqual(['a']);
    expect(sampleValue(f, 'rumor_map_keys', { map: 'a' })).toBe(30);
    expect(sampleValue(f, 'rumor_carrier_messages_total', { direction: 'in' })).toBe(250);
  });

  it('keeps each registry apart (two nodes in one process)', async () => {
    const [a, b] = [createMetrics(), createMetrics()];
    a.observeFsync('m', 0.002);
    const fb = parsePrometheusText(await b.text(fakeSnapshot()));
    expect(fb.get('rumor_wal_fsync_seconds')!.samples).toEqual([]);
    const fa = parsePrometheusText(await a.text(fakeSnapshot()));
    expect(sampleValue(fa, 'rumor_wal_fsync_seconds', { map: 'm' }, 'rumor_wal_fsync_seconds_count')).toBe(1);
  });

  it('times every fsync of a real map’s write-ahead log into the histogram', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rumor-status-wal-'));
    dirs.push(dir);
    const metrics = createMetrics();
    const storage = metrics.instrumentStorage('kv', createFileStorage({ dir }));
    const map = await createReplicatedMap<number>('kv', { persist: { fsync: 'always' }, collectIntervalMs: 0 }, {
      nodeId: 'w1' as NodeId,
      clock: createHlc({ nodeId: 'w1' }, { wallClock: Date.now }),
      storage,
    });
    for (let i = 0; i < 12; i++) await map.put(`k${i}`, i);
    const status = map.status();
    const f = parsePrometheusText(await metrics.text(fakeSnapshot({ maps: { kv: status } })));
    await map.close();
    const fsyncs = status.persist!.fsyncs;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(sampleValue(f, 'rumor_wal_fsyncs_total', { map: 'kv' })).toBe(fsyncs);
    const count = sampleValue(f, 'rumor_wal_fsync_seconds', { map: 'kv' }, 'rumor_wal_fsync_seconds_count');
    // Every WAL fsync was timed (the map may sync once more while closing, after the snapshot was taken).
    expect(count).toBeGreaterThanOrEqual(fsyncs);
    expect(sampleValue(f, 'rumor_wal_fsync_seconds', { map: 'kv' }, 'rumor_wal_fsync_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(f, 'rumor_map_keys', { map: 'kv' })).toBe(12);
  });
});
