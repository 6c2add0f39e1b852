import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { createAuthenticator, transcript, type TranscriptInit } from '../src/auth.js';
import {
  createHandshake,
  decodeHandshake,
  encodeHandshake,
  validateHandshake,
  type Handshake,
  type HandshakeMessage,
  type HandshakeStep,
} from '../src/handshake.js';
import type { NodeId } from '../src/types.js';

const local = (id: string, cluster = 'rumor') => ({
  id: id as NodeId,
  cluster,
  address: `ws://127.0.0.1:${id.length + 1000}`,
  instance: randomBytes(16),
});

/** Run dialer ↔ acceptor to completion through encode/decode; returns every step. */
function run(dialer: Handshake, acceptor: Handshake): { d: HandshakeStep[]; a: HandshakeStep[] } {
  const d: HandshakeStep[] = [];
  const a: HandshakeStep[] = [];
  const wire = (m: HandshakeMessage): HandshakeMessage => {
    const r = decodeHandshake(encodeHandshake(m), 1024);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  let toAcceptor: HandshakeMessage | undefined = dialer.start();
  while (toAcceptor !== undefined) {
    const sa = acceptor.receive(wire(toAcceptor));
    a.push(sa);
    if (sa.error) break;
    const toDialer = sa.send ?? (sa.peer ? acceptor.welcome() : undefined);
    if (toDialer === undefined) break;
    const sd = dialer.receive(wire(toDialer));
    d.push(sd);
    if (sd.error || sd.established) break;
    toAcceptor = sd.send;
  }
  return { d, a };
}

describe('createHandshake', () => {
  it('completes with the same secret and tells each side the other', () => {
    const auth = createAuthenticator(Buffer.from('s'));
    const la = local('alice');
    const lb = local('bob');
    const { d, a } = run(createHandshake('dialer', la, auth), createHandshake('acceptor', lb, auth));
    expect(d.at(-1)).toEqual({ established: true });
    expect(d[0]!.peer).toEqual({ id: 'bob', address: lb.address, instance: Uint8Array.from(lb.instance) });
    expect(a.at(-1)!.peer).toEqual({ id: 'alice', address: la.address, instance: Uint8Array.from(la.instance) });
  });

  it('fails on either side with a different secret', () => {
    const { d } = run(
      createHandshake('dialer', local('alice'), createAuthenticator(Buffer.from('one'))),
      createHandshake('acceptor', local('bob'), createAuthenticator(Buffer.from('two'))),
    );
    expect(d.at(-1)!.error?.code).toBe('carrier.auth-failed');
  });

  it('rejects another cluster and its own id before proving anything', () => {
    const auth = createAuthenticator(Buffer.from('s'));
    const other = run(createHandshake('dialer', local('alice', 'x'), auth), createHandshake('acceptor', local('bob', 'y'), auth));
    expect(other.a[0]).toEqual({ error: expect.objectContaining({ code: 'carrier.wrong-cluster' }) });
    const self = run(createHandshake('dialer', local('same'), auth), createHandshake('acceptor', local('same'), auth));
    expect(self.a[0]!.error?.code).toBe('carrier.self-connection');
  });

  it('rejects messages out of order', () => {
    const auth = createAuthenticator(Buffer.from('s'));
    const acceptor = createHandshake('acceptor', local('bob'), auth);
    expect(acceptor.receive({ type: 'welcome' }).error?.code).toBe('carrier.handshake-malformed');
    const dialer = createHandshake('dialer', local('alice'), auth);
    dialer.start();
    expect(dialer.receive({ type: 'response', mac: new Uint8Array(32) }).error?.code).toBe('carrier.handshake-malformed');
  });

  it('property: any single-byte change to a proof, nonce, id or instance in flight fails verification', () => {
    fc.assert(
      fc.property(fc.constantFrom('nonce', 'mac', 'id', 'instance'), fc.nat(), fc.integer({ min: 1, max: 255 }), (field, at, xor) => {
        const auth = createAuthenticator(Buffer.from('secret'));
        // The acceptor's real challenge reaches the dialer with one field tampered.
        const acceptor2 = createHandshake('acceptor', local('bob'), auth);
        const dialer2 = createHandshake('dialer', local('alice'), auth);
        const c = acceptor2.receive(dialer2.start()!).send as Extract<HandshakeMessage, { type: 'challenge' }>;
        const tampered = { ...c };
        if (field === 'id') tampered.id = c.id + String.fromCharCode(97 + (xor % 26));
        else {
          const bytes = Uint8Array.from(c[field]);
          bytes[at % bytes.length]! ^= xor;
          tampered[field] = bytes;
        }
        expect(dialer2.receive(tampered).error?.code).toBe('carrier.auth-failed');
      }),
    );
  });

  it('per-node keys: signatures are required and checked against the claimed id', () => {
    const ka = generateKeyPairSync('ed25519');
    const kb = generateKeyPairSync('ed25519');
    const peers = new Map([['alice', ka.publicKey], ['bob', kb.publicKey]]);
    const s = Buffer.from('s');
    const ok = run(
      createHandshake('dialer', local('alice'), createAuthenticator(s, { privateKey: ka.privateKey, peers })),
      createHandshake('acceptor', local('bob'), createAuthenticator(s, { privateKey: kb.privateKey, peers })),
    );
    expect(ok.d.at(-1)).toEqual({ established: true });
    const wrongKey = run(
      createHandshake('dialer', local('alice'), createAuthenticator(s, { privateKey: kb.privateKey, peers })),
      createHandshake('acceptor', local('bob'), createAuthenticator(s, { privateKey: kb.privateKey, peers })),
    );
    expect(wrongKey.a.at(-1)!.error?.code).toBe('carrier.auth-failed');
  });
});

describe('transcript', () => {
  const side = (id: string) => ({ id, address: 'ws://h:1', instance: new Uint8Array(16), nonce: new Uint8Array(32) });
  it('differs by role, so an acceptor proof cannot pose as a dialer proof', () => {
    const t: TranscriptInit = { cluster: 'c', dialer: side('a'), acceptor: side('b') };
    expect(transcript('dialer', t).equals(transcript('acceptor', t))).toBe(false);
  });
  it('property: length-prefixed fields cannot be shifted into each other', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a1, b1, a2, b2) => {
        fc.pre(a1 !== a2 || b1 !== b2);
        const t1 = transcript('dialer', { cluster: 'c', dialer: side(a1), acceptor: side(b1) });
        const t2 = transcript('dialer', { cluster: 'c', dialer: side(a2), acceptor: side(b2) });
        expect(t1.equals(t2)).toBe(false);
      }),
    );
  });
});

describe('decodeHandshake', () => {
  it('property: never throws on arbitrary bytes, and fails with the malformed code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = decodeHandshake(bytes, 1024);
        if (!r.ok) expect(r.error.code).toBe('carrier.handshake-malformed');
      }),
      { numRuns: 500 },
    );
  });

  it('property: encode then decode is the identity for well-formed messages', () => {
    const bin = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const name = fc.string({ minLength: 1, maxLength: 20 });
    const intro = fc.record({
      v: fc.integer({ min: 0, max: 1000 }),
      cluster: name,
      id: name,
      address: fc.webUrl().map((u) => u.replace(/^https?/, 'ws')).filter((u) => u.length <= 256 && !/\s/.test(u)),
      instance: bin(16),
      nonce: bin(32),
    });
    const message: fc.Arbitrary<HandshakeMessage> = fc.oneof(
      intro.map((i) => ({ type: 'hello' as const, ...i })),
      fc.tuple(intro, bin(32), fc.option(bin(64), { nil: undefined })).map(([i, mac, sig]) =>
        sig === undefined ? { type: 'challenge' as const, ...i, mac } : { type: 'challenge' as const, ...i, mac, sig }),
      fc.tuple(bin(32), fc.option(bin(64), { nil: undefined })).map(([mac, sig]) =>
        sig === undefined ? { type: 'response' as const, mac } : { type: 'response' as const, mac, sig }),
      fc.constant({ type: 'welcome' as const }),
    );
    fc.assert(
      fc.property(message, (m) => {
        const r = decodeHandshake(encodeHandshake(m), 1024);
        expect(r).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('rejects wrong lengths, types and extra nesting', () => {
    const good = { type: 'hello', v: 1, cluster: 'c', id: 'x', address: 'ws://a:1', instance: new Uint8Array(16), nonce: new Uint8Array(32) };
    expect(validateHandshake(good).ok).toBe(true);
    expect(validateHandshake({ ...good, nonce: new Uint8Array(31) }).ok).toBe(false);
    expect(validateHandshake({ ...good, id: '' }).ok).toBe(false);
    expect(validateHandshake({ ...good, id: 'x'.repeat(65) }).ok).toBe(false);
    expect(validateHandshake({ ...good, address: 'http://a:1' }).ok).toBe(false);
    expect(validateHandshake({ ...good, v: 1.5 }).ok).toBe(false);
    expect(validateHandshake({ ...good, type: 'other' }).ok).toBe(false);
    expect(validateHandshake([good]).ok).toBe(false);
    expect(decodeHandshake(encodeHandshake({ ...good, extra: { nested: 1 } } as never), 1024).ok).toBe(false);
  });
});

describe('known-answer vector (docs/wire-format.md, carrier-ws)', () => {
  it('matches the documented transcript length and HMACs', () => {
    const t: TranscriptInit = {
      cluster: 'rumor',
      dialer: { id: 'a', address: 'ws://127.0.0.1:7000', instance: new Uint8Array(16).fill(1), nonce: new Uint8Array(32).fill(2) },
      acceptor: { id: 'b', address: 'ws://127.0.0.1:7001', instance: new Uint8Array(16).fill(3), nonce: new Uint8Array(32).fill(4) },
    };
    const auth = createAuthenticator(Buffer.from('secret'));
    const dialer = transcript('dialer', t);
    expect(dialer.length).toBe(199);
    expect(dialer.subarray(0, 40).toString('hex')).toBe('72756d6f722d636172726965722d617574682d7631010000000572756d6f72000000016100000013');
    expect(Buffer.from(auth.prove(dialer).mac).toString('hex')).toBe('37317272e2d5e78ceedc1e069bb07448aedd9dd98c3a18acc5d66e92780de131');
    expect(Buffer.from(auth.prove(transcript('acceptor', t)).mac).toString('hex')).toBe('9770f7f36abdaad79fa4efbf592cb7cdef4e366d7d04fc1fb830fcdad1530704');
  });
});
