import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BroadcastErrorCode, decodeMessage, formatMessageId, parseMessageId, type NodeId } from '@rumor/broadcast';

const limits = { tagBytesMax: 16, payloadBytesMax: 8, hopsMax: 100, ihaveBatchMax: 4, graftIdsMax: 4 };
const nodeIdArb = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => new TextEncoder().encode(s).length <= 64);
const idArb = fc.tuple(nodeIdArb, fc.nat({ max: Number.MAX_SAFE_INTEGER })).map(([o, s]) => formatMessageId(o as NodeId, s));

describe('formatMessageId / parseMessageId', () => {
  it('round-trips every origin and safe sequence number', () => {
    fc.assert(
      fc.property(nodeIdArb, fc.nat({ max: Number.MAX_SAFE_INTEGER }), (origin, seq) => {
        expect(parseMessageId(formatMessageId(origin as NodeId, seq))).toEqual({ origin, seq });
      }),
    );
  });

  it('accepts only the canonical spelling, bounded origins and safe integers', () => {
    expect(parseMessageId('0@a')).toEqual({ origin: 'a', seq: 0 });
    for (const bad of ['01@a', '@a', '1@', 'A@a', '1', 'zzzzzzzzzzzz@a', `1@${'x'.repeat(65)}`, 5, null, {}, '-1@a']) {
      expect(parseMessageId(bad)).toBeUndefined();
    }
    expect(parseMessageId(`1@${'é'.repeat(33)}`)).toBeUndefined(); // 66 UTF-8 bytes
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (v) => void parseMessageId(v)));
  });
});

describe('decodeMessage', () => {
  it('never throws and always answers a result with a stable code, whatever the input', () => {
    const codes = new Set(Object.values(BroadcastErrorCode));
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('gossip', 'ihave', 'graft', 'prune'), fc.anything()), fc.anything(), (type, body) => {
        const r = decodeMessage(type, body, limits);
        if (!r.ok) expect(codes.has(r.error.code)).toBe(true);
      }),
    );
  });

  it('never throws on near-valid bodies with one field replaced by anything', () => {
    const base = { id: formatMessageId('a' as NodeId, 1), tag: 't', hops: 1, payload: new Uint8Array(2), ids: [formatMessageId('a' as NodeId, 1)] };
    fc.assert(
      fc.property(fc.constantFrom('gossip', 'ihave', 'graft', 'prune'), fc.constantFrom('id', 'tag', 'hops', 'payload', 'ids', 'own', 'origin', 'shared'), fc.anything(), (type, key, value) => {
        const body: Record<string, unknown> = { ...base, hops: type === 'ihave' ? [0] : 1, [key]: value };
        decodeMessage(type, body, limits);
      }),
    );
  });

  it('accepts what the bounds allow and names the bound it refuses', () => {
    fc.assert(
      fc.property(fc.array(idArb, { minLength: 1, maxLength: 4 }), (ids) => {
        const r = decodeMessage('ihave', { ids, hops: ids.map(() => 3) }, limits);
        expect(r.ok).toBe(true);
      }),
    );
    const five = Array.from({ length: 5 }, (_, i) => formatMessageId('a' as NodeId, i));
    expect(decodeMessage('graft', { ids: five }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.batchTooLarge } });
    expect(decodeMessage('gossip', { id: five[0], tag: 'x'.repeat(17), hops: 1, payload: new Uint8Array() }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.badTag } });
    expect(decodeMessage('gossip', { id: five[0], tag: 't', hops: 101, payload: new Uint8Array() }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.badHops } });
    expect(decodeMessage('gossip', { id: five[0], tag: 't', hops: 1, payload: new Uint8Array(9) }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.payloadTooLarge } });
    expect(decodeMessage('graft', { ids: [] }, limits)).toMatchObject({ ok: true });
    expect(decodeMessage('ihave', { ids: [], hops: [] }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.malformed } });
  });

  it('reads the origin-tree fields (own, origin, shared) and refuses them malformed', () => {
    const m = formatMessageId('a' as NodeId, 1);
    const g = { id: m, tag: 't', hops: 1, payload: new Uint8Array() };
    expect(decodeMessage('gossip', { ...g, own: true }, limits)).toMatchObject({ ok: true, value: { body: { own: true } } });
    const plain = decodeMessage('gossip', g, limits);
    expect(plain.ok && 'own' in plain.value.body).toBe(false);
    expect(decodeMessage('gossip', { ...g, own: 1 }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.malformed } });
    expect(decodeMessage('prune', { origin: 'o', shared: true }, limits)).toMatchObject({ ok: true, value: { body: { origin: 'o', shared: true } } });
    expect(decodeMessage('prune', { origin: 'o' }, limits)).toMatchObject({ ok: true, value: { body: { origin: 'o' } } });
    expect(decodeMessage('prune', { shared: true }, limits)).toMatchObject({ ok: true, value: { body: {} } });
    expect(decodeMessage('prune', { origin: 'o', shared: 'yes' }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.malformed } });
    expect(decodeMessage('prune', { origin: 'x'.repeat(65) }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.badId } });
    expect(decodeMessage('graft', { ids: [], origin: 'o' }, limits)).toMatchObject({ ok: true, value: { body: { ids: [], origin: 'o' } } });
    expect(decodeMessage('graft', { ids: [], origin: 7 }, limits)).toMatchObject({ ok: false, error: { code: BroadcastErrorCode.malformed } });
  });
});
