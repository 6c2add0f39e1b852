import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decoder, ExtData, ExtensionCodec, encode as referenceEncode } from '@msgpack/msgpack';
import { decode, decodeMany, encode, WIRE_ERROR_CODES, DEFAULT_CODEC_LIMITS, type CodecLimits } from '@rumor/crdt-wire';
import { measure, mutated, wireValue, runs } from './arbitraries.js';

const codes = new Set<string>(WIRE_ERROR_CODES);
const bytesOf = (v: unknown): Uint8Array => {
  const r = encode(v);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const codeOf = (bytes: ArrayLike<number>, limits?: CodecLimits): string | undefined => {
  const r = decode(Uint8Array.from(bytes), limits);
  return r.ok ? undefined : r.error.code;
};

describe('encode', () => {
  it('round-trips every wire value through decode', () => {
    fc.assert(
      fc.property(wireValue(), (v) => {
        const r = decode(bytesOf(v));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toEqual(v);
      }),
      { numRuns: runs(300) },
    );
  });

  it('omits undefined object properties and encodes other undefined as nil', () => {
    expect(decode(bytesOf({ a: 1, b: undefined }))).toEqual({ ok: true, value: { a: 1 } });
    expect(decode(bytesOf([undefined]))).toEqual({ ok: true, value: [null] });
  });

  it('refuses values outside the wire domain instead of throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [10n, () => 1, Symbol('s'), new Date(0), new Map(), new Set(), cyclic, { nested: [new Date(0)] }]) {
      const r = encode(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('codec.unencodable');
    }
  });

  it('refuses an encoding larger than frameBytesMax', () => {
    const r = encode('x'.repeat(200), { frameBytesMax: 100 });
    expect(!r.ok && r.error.code).toBe('codec.frame-too-large');
    expect(encode('x'.repeat(90), { frameBytesMax: 100 }).ok).toBe(true);
  });

  it('uses msgpack as specified, byte for byte (interoperable with another implementation)', () => {
    const v = { a: [1, -1, 300, 'é', true, null, 1.5], b: new Uint8Array([7]) };
    expect(bytesOf(v)).toEqual(referenceEncode(v));
  });
});

describe('decode', () => {
  it('never throws on arbitrary bytes and answers with a known code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const r = decode(bytes);
        if (!r.ok) expect(codes.has(r.error.code)).toBe(true);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('never throws on mutated and truncated valid encodings', () => {
    fc.assert(
      fc.property(mutated(wireValue().map(bytesOf)), (bytes) => {
        const r = decode(bytes);
        if (!r.ok) expect(codes.has(r.error.code)).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });

  it('agrees with the reference decoder wherever both decode (the pre-scan rejects nothing valid it should not)', () => {
    // Like crdt-wire, the reference keeps the timestamp ext as raw ExtData rather than making a Date of it.
    const extensionCodec = new ExtensionCodec();
    extensionCodec.register({ type: -1, encode: () => null, decode: (data, type) => new ExtData(type, data) });
    const reference = new Decoder({ extensionCodec });
    const unbounded: CodecLimits = {
      frameBytesMax: 1 << 20, depthMax: 1000, entriesMax: 1 << 20, stringBytesMax: 1 << 20, binBytesMax: 1 << 20, extAllowed: true,
    };
    fc.assert(
      fc.property(fc.oneof(mutated(wireValue().map(bytesOf)), fc.uint8Array({ maxLength: 64 })), (bytes) => {
        let expected: { ok: true; value: unknown } | { ok: false };
        try {
          expected = { ok: true, value: reference.decode(bytes) };
        } catch {
          expected = { ok: false };
        }
        const r = decode(bytes, unbounded);
        if (r.ok) {
          expect(expected).toEqual({ ok: true, value: r.value });
        } else if (expected.ok) {
          // The reference accepts numeric map keys and invalid UTF-8; those are the differences allowed with every
          // bound lifted.
          expect(['codec.key-type', 'codec.bad-utf8']).toContain(r.error.code);
        }
      }),
      { numRuns: runs(1000) },
    );
  });

  it('respects every limit on whatever it accepts', () => {
    const limits = { frameBytesMax: 200, depthMax: 3, entriesMax: 12, stringBytesMax: 8, binBytesMax: 6 } as const;
    fc.assert(
      fc.property(fc.oneof(wireValue(5).map(bytesOf), mutated(wireValue(5).map(bytesOf))), (bytes) => {
        const r = decode(bytes, limits);
        if (!r.ok) return;
        expect(bytes.length).toBeLessThanOrEqual(limits.frameBytesMax);
        const m = measure(r.value);
        expect(m.depth).toBeLessThanOrEqual(limits.depthMax);
        expect(m.entries).toBeLessThanOrEqual(limits.entriesMax);
        expect(m.stringBytes).toBeLessThanOrEqual(limits.stringBytesMax);
        expect(m.binBytes).toBeLessThanOrEqual(limits.binBytesMax);
      }),
      { numRuns: runs(500) },
    );
  });

  it('rejects each bound at exactly one past it', () => {
    const nest = (d: number): unknown => (d === 0 ? 0 : [nest(d - 1)]);
    expect(codeOf(bytesOf(nest(3)), { depthMax: 3 })).toBeUndefined();
    expect(codeOf(bytesOf(nest(4)), { depthMax: 3 })).toBe('codec.depth');
    expect(codeOf(bytesOf([[[]]]), { depthMax: 3 })).toBeUndefined();
    expect(codeOf(bytesOf([[[[]]]]), { depthMax: 3 })).toBe('codec.depth'); // an empty container is a level too
    expect(codeOf(bytesOf([[[{}]]]), { depthMax: 3 })).toBe('codec.depth');
    expect(codeOf(bytesOf([[1, 2], { a: 1 }]), { entriesMax: 5 })).toBeUndefined();
    expect(codeOf(bytesOf([[1, 2], { a: 1, b: 2 }]), { entriesMax: 5 })).toBe('codec.entries');
    expect(codeOf(bytesOf('abcd'), { stringBytesMax: 4 })).toBeUndefined();
    expect(codeOf(bytesOf('abcde'), { stringBytesMax: 4 })).toBe('codec.string-too-long');
    expect(codeOf(bytesOf({ abcde: 1 }), { stringBytesMax: 4 })).toBe('codec.string-too-long');
    expect(codeOf(bytesOf(new Uint8Array(4)), { binBytesMax: 4 })).toBeUndefined();
    expect(codeOf(bytesOf(new Uint8Array(5)), { binBytesMax: 4 })).toBe('codec.bin-too-long');
    expect(codeOf(bytesOf('x'.repeat(8)), { frameBytesMax: 9 })).toBeUndefined();
    expect(codeOf(bytesOf('x'.repeat(9)), { frameBytesMax: 9 })).toBe('codec.frame-too-large');
  });

  it('documents its defaults', () => {
    expect(DEFAULT_CODEC_LIMITS).toEqual({
      frameBytesMax: 1_048_576, depthMax: 64, entriesMax: 100_000, stringBytesMax: 262_144, binBytesMax: 262_144, extAllowed: false,
    });
  });

  it('rejects a deep-nesting bomb in time linear in its size, before allocating', () => {
    const bomb = new Uint8Array(1_000_000).fill(0x91); // [[[[…]]]] one million deep, never closed
    expect(codeOf(bomb)).toBe('codec.depth');
    expect(codeOf(bomb, { depthMax: 2_000_000 })).toBe('codec.entries');
    expect(codeOf(bomb, { depthMax: 2_000_000, entriesMax: 2_000_000 })).toBe('codec.truncated');
  });

  it('rejects huge declared lengths without allocating them', () => {
    expect(codeOf([0xdd, 0xff, 0xff, 0xff, 0xff])).toBe('codec.truncated'); // array32 of 2^32-1
    expect(codeOf([0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0])).toBe('codec.truncated'); // map32
    expect(codeOf([0xdb, 0x00, 0x00, 0x10, 0x00, 0x61])).toBe('codec.truncated'); // str32 of 4096 with 1 byte
    expect(codeOf([0xdb, 0xff, 0xff, 0xff, 0xff])).toBe('codec.string-too-long');
    expect(codeOf([0xc6, 0xff, 0xff, 0xff, 0xff])).toBe('codec.bin-too-long');
    const wide = new Uint8Array(1 + 4 + 200_000).fill(0xc0);
    wide.set([0xdd, 0x00, 0x03, 0x0d, 0x40]); // array32 of 200 000 nils: more than entriesMax
    expect(codeOf(wide)).toBe('codec.entries');
  });

  it('rejects ext values (timestamp included) unless allowed, and never yields a Date', () => {
    const timestamp = [0xd6, 0xff, 0x00, 0x00, 0x00, 0x01];
    expect(codeOf(timestamp)).toBe('codec.ext');
    expect(codeOf([0xc7, 0x01, 0x05, 0x00])).toBe('codec.ext');
    const allowed = decode(Uint8Array.from(timestamp), { extAllowed: true });
    expect(allowed.ok && allowed.value instanceof Date).toBe(false);
    expect(allowed.ok && (allowed.value as { type: number }).type).toBe(-1);
  });

  it('rejects non-string map keys', () => {
    expect(codeOf([0x81, 0x01, 0x02])).toBe('codec.key-type');
    expect(codeOf([0x81, 0x90, 0x02])).toBe('codec.key-type');
    expect(codeOf([0x81, 0xc0, 0x02])).toBe('codec.key-type');
  });

  it('rejects __proto__ keys and cannot pollute prototypes', () => {
    const proto = [0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x81, 0xa8, ...new TextEncoder().encode('polluted'), 0xc3];
    expect(codeOf(proto)).toBe('codec.proto-key');
    expect(codeOf([0x91, ...proto])).toBe('codec.proto-key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r = decode(bytesOf({ constructor: 1, prototype: { x: 1 }, toString: 'no' }));
    expect(r.ok).toBe(true);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('rejects the unused type byte, empty input and trailing bytes', () => {
    expect(codeOf([0xc1])).toBe('codec.invalid-byte');
    expect(codeOf([])).toBe('codec.truncated');
    expect(codeOf([0x01, 0x02])).toBe('codec.trailing-bytes');
    expect(codeOf([0x92, 0x01])).toBe('codec.truncated');
    expect(codeOf([0xcb, 0, 0, 0])).toBe('codec.truncated');
  });

  it('rejects strings that are not valid UTF-8, keys included', () => {
    const str = (...b: number[]) => [0xa0 + b.length, ...b];
    for (const bad of [[0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x80, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x61, 0xc3], [0xff]]) {
      expect(codeOf(str(...bad))).toBe('codec.bad-utf8');
      expect(codeOf([0x81, ...str(...bad), 0x01])).toBe('codec.bad-utf8');
      expect(codeOf([0xd9, bad.length, ...bad])).toBe('codec.bad-utf8');
    }
    for (const good of ['a', 'é', '€', '\u{10FFFF}', '\u{1F600}', '\uD7FF', '\uE000']) {
      const r = decode(bytesOf(good));
      expect(r.ok && r.value).toBe(good);
    }
  });

  it('never accepts a string holding a lone surrogate or a replacement it did not send', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        const r = decode(Uint8Array.from([0xd9, b.length, ...b]));
        const text = new TextDecoder('utf-8', { fatal: true });
        let strict: string | undefined;
        try {
          strict = text.decode(b);
        } catch {
          strict = undefined;
        }
        if (strict === undefined) expect(!r.ok && r.error.code).toBe('codec.bad-utf8');
        else expect(r).toEqual({ ok: true, value: strict });
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('decodeMany', () => {
  it('splits a msgpack stream into its values, bounded in number', () => {
    const values = [1, 'two', [3], { four: 4 }];
    const stream = Uint8Array.from(values.flatMap((v) => Array.from(bytesOf(v))));
    expect(decodeMany(stream, 4)).toEqual({ ok: true, value: values });
    const r = decodeMany(stream, 3);
    expect(!r.ok && r.error.code).toBe('codec.too-many-values');
  });

  it('applies the limits to the stream as a whole', () => {
    const stream = Uint8Array.from([...bytesOf([1, 2, 3]), ...bytesOf([4, 5, 6])]);
    expect(decodeMany(stream, 2, { entriesMax: 6 }).ok).toBe(true);
    const r = decodeMany(stream, 2, { entriesMax: 5 });
    expect(!r.ok && r.error.code).toBe('codec.entries');
  });
});
