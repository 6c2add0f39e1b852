import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_HYPARVIEW_INIT,
  MESSAGE_TYPES,
  MembershipErrorCode,
  messageBody,
  parseMessage,
  type MembershipMessage,
  type NodeId,
} from '@rumor/membership';

const limits = DEFAULT_HYPARVIEW_INIT;
const nodeId = fc.string({ minLength: 1, maxLength: 16 }).map((s) => s as NodeId);
const entry = fc.record({ id: nodeId, address: fc.string({ minLength: 1, maxLength: 40 }) });
const ttl = fc.integer({ min: 0, max: limits.ttlMax });
const shuffleId = fc.integer({ min: 0, max: 0xffff_ffff });
const nodes = fc.array(entry, { maxLength: limits.shuffleNodesMax });

const message: fc.Arbitrary<MembershipMessage> = fc.oneof(
  fc.constant({ type: 'join' as const }),
  fc.record({ type: fc.constant('forward-join' as const), node: entry, ttl }),
  fc.record({ type: fc.constant('neighbor' as const), priority: fc.constantFrom('high' as const, 'low' as const) }),
  fc.record({ type: fc.constant('neighbor-reply' as const), accepted: fc.boolean() }),
  fc.record({ type: fc.constant('disconnect' as const), reason: fc.constantFrom('evicted' as const, 'left' as const) }),
  fc.record({ type: fc.constant('shuffle' as const), id: shuffleId, origin: entry, ttl, nodes }),
  fc.record({ type: fc.constant('shuffle-reply' as const), id: shuffleId, nodes }),
);

function code(type: unknown, body: unknown): string | undefined {
  const r = parseMessage(type, body, limits);
  return r.ok ? undefined : r.error.code;
}

describe('parseMessage', () => {
  it('accepts every well-formed message and returns it unchanged (body → message identity)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const r = parseMessage(m.type, messageBody(m), limits);
        expect(r).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('never throws on arbitrary input, and rejects with a stable code', () => {
    const codes = new Set<string>(Object.values(MembershipErrorCode));
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...MESSAGE_TYPES), fc.anything()), fc.anything(), (type, body) => {
        const r = parseMessage(type, body, limits);
        if (!r.ok) expect(codes.has(r.error.code)).toBe(true);
      }),
    );
  });

  it('survives hostile getters', () => {
    const body = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(code('forward-join', body)).toBe(MembershipErrorCode.MalformedBody);
  });

  it('rejects unknown types', () => {
    expect(code('gossip', {})).toBe(MembershipErrorCode.UnknownType);
    expect(code(7, {})).toBe(MembershipErrorCode.UnknownType);
  });

  it('rejects non-object bodies', () => {
    for (const t of MESSAGE_TYPES) {
      expect(code(t, null)).toBe(MembershipErrorCode.MalformedBody);
      expect(code(t, [1])).toBe(MembershipErrorCode.MalformedBody);
      expect(code(t, 'x')).toBe(MembershipErrorCode.MalformedBody);
    }
  });

  it('bounds node ids in UTF-8 bytes, not characters', () => {
    const ok = { id: 'é'.repeat(32), address: 'a' }; // 64 bytes
    const tooLong = { id: 'é'.repeat(33), address: 'a' }; // 66 bytes, 33 characters
    expect(code('forward-join', { node: ok, ttl: 1 })).toBeUndefined();
    expect(code('forward-join', { node: tooLong, ttl: 1 })).toBe(MembershipErrorCode.BadNodeId);
    expect(code('forward-join', { node: { id: '', address: 'a' }, ttl: 1 })).toBe(MembershipErrorCode.BadNodeId);
    expect(code('forward-join', { node: { id: 5, address: 'a' }, ttl: 1 })).toBe(MembershipErrorCode.BadNodeId);
  });

  it('bounds addresses', () => {
    expect(code('forward-join', { node: { id: 'n', address: 'a'.repeat(257) }, ttl: 1 })).toBe(MembershipErrorCode.BadAddress);
    expect(code('forward-join', { node: { id: 'n', address: '' }, ttl: 1 })).toBe(MembershipErrorCode.BadAddress);
  });

  it('bounds TTLs', () => {
    const node = { id: 'n', address: 'a' };
    expect(code('forward-join', { node, ttl: -1 })).toBe(MembershipErrorCode.BadTtl);
    expect(code('forward-join', { node, ttl: 1.5 })).toBe(MembershipErrorCode.BadTtl);
    expect(code('forward-join', { node, ttl: limits.ttlMax + 1 })).toBe(MembershipErrorCode.BadTtl);
    expect(code('shuffle', { id: 1, origin: node, ttl: '3', nodes: [] })).toBe(MembershipErrorCode.BadTtl);
  });

  it('bounds shuffle samples and ids', () => {
    const node = { id: 'n', address: 'a' };
    const many = Array.from({ length: limits.shuffleNodesMax + 1 }, () => node);
    expect(code('shuffle', { id: 1, origin: node, ttl: 1, nodes: many })).toBe(MembershipErrorCode.TooManyNodes);
    expect(code('shuffle-reply', { id: 1, nodes: many })).toBe(MembershipErrorCode.TooManyNodes);
    expect(code('shuffle-reply', { id: -1, nodes: [] })).toBe(MembershipErrorCode.BadShuffleId);
    expect(code('shuffle-reply', { id: 2 ** 32, nodes: [] })).toBe(MembershipErrorCode.BadShuffleId);
    expect(code('shuffle-reply', { id: 1, nodes: {} })).toBe(MembershipErrorCode.MalformedBody);
  });

  it('checks enumerations and flags', () => {
    expect(code('neighbor', { priority: 'urgent' })).toBe(MembershipErrorCode.MalformedBody);
    expect(code('neighbor-reply', { accepted: 1 })).toBe(MembershipErrorCode.MalformedBody);
    expect(code('disconnect', { reason: 'bored' })).toBe(MembershipErrorCode.MalformedBody);
  });
});
