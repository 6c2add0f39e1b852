import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAdmission } from '../src/admission.js';
import { backoffDelayMs } from '../src/backoff.js';
import { createSendQueue } from '../src/send-queue.js';
import { closeReason } from '../src/errors.js';

describe('createSendQueue', () => {
  it('property: bounds hold, frames respect limits and keep order, drain follows backpressure at low water', () => {
    const op = fc.oneof(
      fc.integer({ min: 1, max: 300 }).map((size) => ({ kind: 'offer' as const, size })),
      fc.constant({ kind: 'take' as const }),
      fc.constant({ kind: 'written' as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), (ops, perFrame) => {
        const init = { bytesMax: 2000, messagesMax: 20, frameBytesMax: 600, envelopesPerFrameMax: perFrame };
        const q = createSendQueue(init);
        let next = 0;
        const accepted: { id: number; size: number }[] = [];
        const taken: number[] = [];
        const inflight: { bytes: Uint8Array; messages: number }[] = [];
        let pressured = false;
        for (const o of ops) {
          if (o.kind === 'offer') {
            const bytes = new Uint8Array(o.size).fill(next % 256);
            const before = { b: q.queuedBytes, m: q.queuedMessages };
            const r = q.offer(bytes);
            const fits = before.b + o.size <= init.bytesMax && before.m + 1 <= init.messagesMax;
            expect(r).toBe(fits ? 'accepted' : 'backpressure');
            if (r === 'accepted') accepted.push({ id: next, size: o.size });
            else pressured = true;
            next++;
          } else if (o.kind === 'take') {
            const f = q.take();
            if (f === undefined) continue;
            expect(f.messages).toBeLessThanOrEqual(perFrame);
            expect(f.messages === 1 || f.bytes.length <= init.frameBytesMax).toBe(true);
            inflight.push(f);
            // The frame is the next accepted messages, concatenated in order.
            let pos = 0;
            for (let i = 0; i < f.messages; i++) {
              const m = accepted[taken.length]!;
              expect(f.bytes.subarray(pos, pos + m.size).every((b) => b === m.id % 256)).toBe(true);
              taken.push(m.id);
              pos += m.size;
            }
            expect(pos).toBe(f.bytes.length);
          } else {
            const f = inflight.shift();
            if (f === undefined) continue;
            const drained = q.written(f);
            const low = q.queuedBytes <= init.bytesMax / 2 && q.queuedMessages <= init.messagesMax / 2;
            expect(drained).toBe(pressured && low);
            if (drained) pressured = false;
          }
          expect(q.queuedBytes).toBeLessThanOrEqual(init.bytesMax);
          expect(q.queuedMessages).toBeLessThanOrEqual(init.messagesMax);
        }
      }),
    );
  });
});


describe('backoffDelayMs', () => {
  it('property: within [0, min(max, base·2^retry))', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (retry, base, extra, r) => {
        const maxMs = base + extra;
        const d = backoffDelayMs(retry, { baseMs: base, maxMs }, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(1, Math.min(maxMs, base * 2 ** retry)));
      }),
    );
  });
  it('grows exponentially until the cap', () => {
    const at = (retry: number) => backoffDelayMs(retry, { baseMs: 100, maxMs: 1000 }, () => 0.99999);
    expect([0, 1, 2, 3, 4, 10].map(at)).toEqual([99, 199, 399, 799, 999, 999]);
  });
});

describe('createAdmission', () => {
  it('applies the total, per-IP and handshake limits, and release is idempotent', () => {
    const adm = createAdmission({ connectionsMax: 5, connectionsPerIpMax: 2, handshakesMax: 3 });
    const t1 = adm.inbound('1.1.1.1');
    const t2 = adm.inbound('1.1.1.1');
    expect(t1.ok && t2.ok).toBe(true);
    expect(adm.inbound('1.1.1.1')).toMatchObject({ ok: false, error: { code: 'carrier.limit-per-ip' } });
    const t3 = adm.inbound('2.2.2.2');
    expect(t3.ok).toBe(true);
    expect(adm.inbound('3.3.3.3')).toMatchObject({ ok: false, error: { code: 'carrier.limit-handshakes' } });
    if (t1.ok) t1.ticket.handshakeDone();
    const t4 = adm.inbound('3.3.3.3');
    expect(t4.ok).toBe(true);
    const o = adm.outbound();
    expect(o.ok).toBe(true);
    expect(adm.open).toBe(5);
    expect(adm.outbound()).toMatchObject({ ok: false, error: { code: 'carrier.limit-connections' } });
    if (t2.ok) {
      t2.ticket.release();
      t2.ticket.release();
    }
    expect(adm.open).toBe(4);
    expect(adm.handshaking).toBe(2);
    expect(adm.inbound('1.1.1.1').ok).toBe(true);
  });
});

describe('closeReason', () => {
  it('property: fits the 123 bytes RFC 6455 allows and stays valid UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (message) => {
        const reason = closeReason({ code: 'carrier.frame-invalid', message });
        const bytes = Buffer.from(reason, 'utf8');
        expect(bytes.length).toBeLessThanOrEqual(123);
        expect(bytes.toString('utf8')).toBe(reason);
        expect(reason.startsWith('carrier.frame-invalid')).toBe(true);
      }),
    );
  });
});

describe('CarrierErrorCode', () => {
  it('matches the carrier-ws section of docs/errors.md exactly, with the documented close codes', async () => {
    const { readFileSync } = await import('node:fs');
    const { CarrierErrorCode, closeCodeOf } = await import('../src/errors.js');
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## carrier-ws')).split(/\n## /)[0]!;
    const rows = [...section.matchAll(/^\| `(carrier\.[a-z-]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
    expect(rows.map(([code]) => code).sort()).toEqual(Object.values(CarrierErrorCode).sort());
    for (const [code, close] of rows) {
      const expected = closeCodeOf[code as keyof typeof closeCodeOf];
      if (expected !== undefined) expect(close).toBe(String(expected));
    }
  });
});
