import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeEnvelope, decodeFrame, encode, encodeEnvelope, encodeFrame, LAYER_CODES, WIRE_ERROR_CODES, type Envelope,
} from '@rumor/crdt-wire';
import { envelope, mutated, runs } from './arbitraries.js';

const codes = new Set<string>(WIRE_ERROR_CODES);
const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const raw = (v: unknown): Uint8Array => must(encode(v));
const codeOf = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? undefined : r.error?.code);

describe('encodeEnvelope', () => {
  it('round-trips every valid envelope', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        expect(must(decodeEnvelope(must(encodeEnvelope(e))))).toEqual(e);
      }),
      { numRuns: runs(300) },
    );
  });

  it('is the compact array [v, layerCode, type, body]', () => {
    const e: Envelope = { v: 1, layer: 'broadcast', type: 'ihave', body: { ids: [1, 2] } };
    expect(must(encodeEnvelope(e))).toEqual(raw([1, 2, 'ihave', { ids: [1, 2] }]));
    expect(LAYER_CODES).toEqual({ membership: 1, broadcast: 2, replica: 3 });
    // 1 (array) + 1 (v) + 1 (layer) + 1 + 4 ('join') + 1 (nil body)
    expect(must(encodeEnvelope({ v: 1, layer: 'membership', type: 'join', body: null })).length).toBe(9);
  });

  it('refuses to send what a receiver would reject', () => {
    expect(codeOf(encodeEnvelope({ v: 2, layer: 'replica', type: 'delta', body: 1 }))).toBe('wire.version');
    expect(codeOf(encodeEnvelope({ v: 1, layer: 'nope' as never, type: 'delta', body: 1 }))).toBe('wire.layer');
    expect(codeOf(encodeEnvelope({ v: 1, layer: 'replica', type: 'Delta', body: 1 }))).toBe('wire.type');
    expect(codeOf(encodeEnvelope({ v: 1, layer: 'replica', type: 'delta', body: 10n }))).toBe('codec.unencodable');
  });
});

describe('decodeEnvelope', () => {
  it('rejects unknown versions, layers and malformed types with their codes', () => {
    expect(codeOf(decodeEnvelope(raw([2, 1, 'join', null])))).toBe('wire.version');
    expect(codeOf(decodeEnvelope(raw([0, 1, 'join', null])))).toBe('wire.version');
    expect(codeOf(decodeEnvelope(raw(['1', 1, 'join', null])))).toBe('wire.shape');
    for (const layer of [0, 4, -1, 1.5, 'membership', null]) {
      expect(codeOf(decodeEnvelope(raw([1, layer, 'join', null])))).toBe('wire.layer');
    }
    for (const type of ['', 'Join', '1join', '-join', 'jo in', 'x'.repeat(33), 7, null, ['join']]) {
      expect(codeOf(decodeEnvelope(raw([1, 1, type, null])))).toBe('wire.type');
    }
    expect(codeOf(decodeEnvelope(raw([1, 1, 'x'.repeat(32), null])))).toBeUndefined();
    expect(codeOf(decodeEnvelope(raw([1, 1, 'join'])))).toBe('wire.shape');
    expect(codeOf(decodeEnvelope(raw([1, 1, 'join', null, 5])))).toBe('wire.shape');
    expect(codeOf(decodeEnvelope(raw({ v: 1, layer: 1, type: 'join', body: null })))).toBe('wire.shape');
  });

  it('takes exactly one envelope', () => {
    const one = must(encodeEnvelope({ v: 1, layer: 'replica', type: 'sync', body: [] }));
    expect(codeOf(decodeEnvelope(Uint8Array.from([...one, ...one])))).toBe('codec.trailing-bytes');
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const arb = fc.oneof(fc.uint8Array({ maxLength: 128 }), mutated(envelope.map((e) => must(encodeEnvelope(e)))));
    fc.assert(
      fc.property(arb, (bytes) => {
        for (const r of [decodeEnvelope(bytes), decodeFrame(bytes)]) {
          if (!r.ok) expect(codes.has(r.error.code)).toBe(true);
        }
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('encodeFrame', () => {
  it('coalesces envelopes as their encodings back to back, and decodeFrame splits them again', () => {
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 20 }), (list) => {
        const frame = must(encodeFrame(list));
        const parts = list.flatMap((e) => Array.from(must(encodeEnvelope(e))));
        expect(Array.from(frame)).toEqual(parts);
        expect(must(decodeFrame(frame))).toEqual(list);
      }),
      { numRuns: runs(200) },
    );
  });

  it('makes a frame of one envelope exactly that envelope', () => {
    const e: Envelope = { v: 1, layer: 'broadcast', type: 'gossip', body: 'hi' };
    expect(must(encodeFrame([e]))).toEqual(must(encodeEnvelope(e)));
  });

  it('bounds the envelopes per frame and refuses an empty frame', () => {
    const e: Envelope = { v: 1, layer: 'broadcast', type: 'prune', body: null };
    expect(codeOf(encodeFrame([]))).toBe('wire.empty-frame');
    expect(codeOf(encodeFrame([e, e, e], { envelopesPerFrameMax: 2 }))).toBe('codec.too-many-values');
    const frame = must(encodeFrame([e, e, e]));
    expect(codeOf(decodeFrame(frame, { envelopesPerFrameMax: 2 }))).toBe('codec.too-many-values');
    expect(must(decodeFrame(frame, { envelopesPerFrameMax: 3 }))).toHaveLength(3);
    expect(codeOf(decodeFrame(new Uint8Array(0)))).toBe('codec.truncated');
  });

  it('bounds the frame bytes on both sides', () => {
    const e: Envelope = { v: 1, layer: 'replica', type: 'delta', body: 'x'.repeat(100) };
    expect(codeOf(encodeFrame([e, e], { frameBytesMax: 150 }))).toBe('codec.frame-too-large');
    const frame = must(encodeFrame([e, e]));
    expect(codeOf(decodeFrame(frame, { frameBytesMax: 150 }))).toBe('codec.frame-too-large');
  });

  it('rejects the whole frame when any envelope in it is bad', () => {
    const good = must(encodeEnvelope({ v: 1, layer: 'replica', type: 'delta', body: 1 }));
    expect(codeOf(decodeFrame(Uint8Array.from([...good, ...raw([9, 3, 'delta', 1])])))).toBe('wire.version');
    expect(codeOf(decodeFrame(Uint8Array.from([...good, ...good.subarray(0, 3)])))).toBe('codec.truncated');
  });
});
