import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, decodeRecords, encode, encodeRecord, frameRecord, RECORD_HEADER_BYTES } from '@rumor/crdt-wire';
import { wireValue, runs } from './arbitraries.js';

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** A log of records and the offset where each record starts (plus the end). */
function log(values: unknown[]): { bytes: Uint8Array; starts: number[] } {
  const parts = values.map((v) => must(encodeRecord(v)));
  const starts = [0];
  for (const p of parts) starts.push(starts[starts.length - 1]! + p.length);
  const bytes = new Uint8Array(starts[starts.length - 1]!);
  parts.forEach((p, i) => bytes.set(p, starts[i]!));
  return { bytes, starts };
}

const values = fc.array(wireValue(3), { minLength: 1, maxLength: 8 });

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('continues across chunks: crc(a ‖ b) = crc(b, crc(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc32c(bytes, at, bytes.length, crc32c(bytes, 0, at))).toBe(crc32c(bytes));
      }),
    );
  });
});

describe('encodeRecord', () => {
  it('is length ‖ crc32c(length ‖ payload) ‖ payload, big-endian', () => {
    const rec = must(encodeRecord({ k: 'v' }));
    const payload = must(encode({ k: 'v' }));
    const view = new DataView(rec.buffer, rec.byteOffset);
    expect(view.getUint32(0)).toBe(payload.length);
    expect(view.getUint32(4)).toBe(crc32c(Uint8Array.from([...rec.subarray(0, 4), ...payload])));
    expect(rec.subarray(RECORD_HEADER_BYTES)).toEqual(payload);
    expect(frameRecord(payload)).toEqual(rec);
  });

  it('refuses unencodable and oversized values', () => {
    expect(encodeRecord(() => 1).ok).toBe(false);
    const r = encodeRecord('x'.repeat(100), { frameBytesMax: 50 });
    expect(!r.ok && r.error.code).toBe('codec.frame-too-large');
  });
});

describe('decodeRecords', () => {
  it('recovers every record of an intact log', () => {
    fc.assert(
      fc.property(values, (vs) => {
        const { bytes } = log(vs);
        expect(decodeRecords(bytes)).toEqual({ records: vs, validBytes: bytes.length });
      }),
      { numRuns: runs(200) },
    );
    expect(decodeRecords(new Uint8Array(0))).toEqual({ records: [], validBytes: 0 });
  });

  it('recovers exactly the whole records before any truncation point', () => {
    fc.assert(
      fc.property(values, fc.nat(), (vs, cutSeed) => {
        const { bytes, starts } = log(vs);
        const cut = cutSeed % (bytes.length + 1);
        const whole = starts.filter((s) => s <= cut).length - 1;
        const r = decodeRecords(bytes.subarray(0, cut));
        expect(r.records).toEqual(vs.slice(0, whole));
        expect(r.validBytes).toBe(starts[whole]);
        if (cut === starts[whole]) expect(r.torn).toBeUndefined();
        else expect(r.torn?.code).toBe('record.truncated');
      }),
      { numRuns: runs(300) },
    );
  });

  it('detects any bit flip and recovers exactly the records before it', () => {
    fc.assert(
      fc.property(values, fc.nat(), fc.nat(7), (vs, atSeed, bit) => {
        const { bytes, starts } = log(vs);
        const at = atSeed % bytes.length;
        const flipped = bytes.slice();
        flipped[at] = flipped[at]! ^ (1 << bit);
        const hit = starts.filter((s) => s <= at).length - 1; // the record containing the flipped byte
        const r = decodeRecords(flipped);
        expect(r.records).toEqual(vs.slice(0, hit));
        expect(r.validBytes).toBe(starts[hit]);
        expect(['record.checksum', 'record.length', 'record.truncated']).toContain(r.torn?.code);
      }),
      { numRuns: runs(500) },
    );
  });

  it('stops at zero-filled or garbage tails', () => {
    const { bytes } = log([1, 'two']);
    const zeros = Uint8Array.from([...bytes, ...new Uint8Array(64)]);
    expect(decodeRecords(zeros)).toMatchObject({ records: [1, 'two'], validBytes: bytes.length, torn: { code: 'record.length' } });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (garbage) => {
        const r = decodeRecords(Uint8Array.from([...bytes, ...garbage]));
        expect(r.records.slice(0, 2)).toEqual([1, 'two']);
        // Garbage forming a valid record has probability 2^-32; anything else is cut.
        if (r.records.length === 2) expect(r.validBytes).toBe(bytes.length);
      }),
    );
  });

  it('rejects a record whose checksum holds but whose payload is not one bounded value', () => {
    const bad = frameRecord(Uint8Array.from([0x92, 0x01])); // array of 2 with one element
    expect(decodeRecords(bad).torn?.code).toBe('record.payload');
    const big = frameRecord(must(encode('x'.repeat(40))));
    expect(decodeRecords(big, { stringBytesMax: 10 }).torn?.code).toBe('record.payload');
    expect(decodeRecords(big, { frameBytesMax: 10 }).torn?.code).toBe('record.length');
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeRecords(bytes);
        expect(r.validBytes).toBeLessThanOrEqual(bytes.length);
        expect(r.torn === undefined).toBe(r.validBytes === bytes.length);
      }),
      { numRuns: runs(500) },
    );
  });

  it('works on a view into a larger buffer', () => {
    const { bytes } = log([1, 2, 3]);
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    expect(decodeRecords(big.subarray(5, 5 + bytes.length))).toEqual({ records: [1, 2, 3], validBytes: bytes.length });
  });
});
