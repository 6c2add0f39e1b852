import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '@rumor/crdt-wire';
import { CARD_VERSION, isHttpUrl, isNodeId, parseCard, parseStatusMessage, StatusErrorCode, type StatusCard } from '@rumor/status';

const id = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => isNodeId(s));
const cardArb: fc.Arbitrary<StatusCard> = fc.record({
  v: fc.constant(CARD_VERSION),
  id,
  cluster: fc.string({ maxLength: 30 }),
  health: fc.constantFrom('ok', 'degraded', 'failing'),
  reasons: fc.array(fc.constantFrom('isolated', 'backlog', 'rejecting', 'wal-failed'), { maxLength: 4 }),
  uptimeMs: fc.nat(),
  active: fc.array(id, { maxLength: 8 }),
  passiveCount: fc.nat(),
  eager: fc.array(id, { maxLength: 8 }),
  lazy: fc.array(id, { maxLength: 8 }),
  maps: fc.nat(),
  keys: fc.nat(),
  tombstones: fc.nat(),
  antiEntropyRounds: fc.nat(),
  rejected: fc.nat(),
});

describe('parseCard', () => {
  it('accepts every well-formed card exactly, also after the wire codec', () => {
    fc.assert(
      fc.property(cardArb, (card) => {
        const bytes = encode(card);
        expect(bytes.ok).toBe(true);
        const back = decode(bytes.ok ? bytes.value : new Uint8Array());
        const r = parseCard(back.ok ? back.value : undefined, card.id);
        expect(r).toEqual({ ok: true, value: card });
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on anything, and refuses non-cards with a stable code', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (value, from) => {
        const r = parseCard(value, from);
        if (!r.ok) expect(Object.values(StatusErrorCode)).toContain(r.error.code);
        const m = parseStatusMessage(value, from);
        if (!m.ok) expect(Object.values(StatusErrorCode)).toContain(m.error.code);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses out-of-bounds fields, a foreign id, another version', () => {
    const good: StatusCard = fc.sample(cardArb, { numRuns: 1, seed: 4 })[0]!;
    const bad = (patch: Record<string, unknown>, from = good.id) => parseCard({ ...good, ...patch }, from);
    expect(bad({}, 'someone-else')).toMatchObject({ ok: false, error: { code: StatusErrorCode.idMismatch } });
    expect(bad({ v: 2 })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ id: 'x'.repeat(65) }, 'x'.repeat(65))).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ active: Array.from({ length: 65 }, (_, i) => `p${i}`) })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ eager: ['ok', 'bad\nid'] })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ keys: -1 })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ keys: 1.5 })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ health: 'great' })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ reasons: ['<script>'] })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ http: 'javascript:alert(1)' })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ http: 'http://a/"><script>' })).toMatchObject({ ok: false, error: { code: StatusErrorCode.badCard } });
    expect(bad({ http: 'https://node-7.example:8080/' })).toMatchObject({ ok: true });
    // Unknown extra fields are dropped, not carried along.
    const r = bad({ extra: 'x'.repeat(10) });
    expect(r.ok && 'extra' in r.value).toBe(false);
  });
});

describe('parseStatusMessage', () => {
  it('knows exactly ask and card', () => {
    expect(parseStatusMessage({ type: 'ask' }, 'a')).toEqual({ ok: true, value: { type: 'ask' } });
    expect(parseStatusMessage({ type: 'ask', x: 1 }, 'a')).toMatchObject({ ok: false, error: { code: StatusErrorCode.malformed } });
    expect(parseStatusMessage({ type: 'hello' }, 'a')).toMatchObject({ ok: false, error: { code: StatusErrorCode.malformed } });
    expect(parseStatusMessage([], 'a')).toMatchObject({ ok: false, error: { code: StatusErrorCode.malformed } });
  });
});

describe('isNodeId and isHttpUrl', () => {
  it('bound ids in UTF-8 bytes and keep links to http(s)', () => {
    expect(isNodeId('é'.repeat(32))).toBe(true); // 64 bytes
    expect(isNodeId('é'.repeat(33))).toBe(false); // 66 bytes
    expect(isNodeId('')).toBe(false);
    expect(isHttpUrl('http://127.0.0.1:80')).toBe(true);
    expect(isHttpUrl('data:text/html,x')).toBe(false);
    expect(isHttpUrl('http://a b')).toBe(false);
  });
});
