import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '@rumor/status';

function capture(init: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger(init, { write: (l) => void lines.push(l), now: () => Date.UTC(2025, 0, 2, 3, 4, 5, 6) });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with time, level, message and fields, from the level up', () => {
    const { log, lines } = capture({ json: true, level: 'info', fields: { node: 'n1' } });
    log.debug('hidden');
    log.info('peer up', { peer: 'n2', address: 'ws://x' });
    log.child({ map: 'm' }).error('fsync failed', { error: Object.assign(new Error('EIO'), { code: 'EIO' }) });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2025-01-02T03:04:05.006Z', level: 'info', msg: 'peer up', node: 'n1', peer: 'n2', address: 'ws://x' },
      { time: '2025-01-02T03:04:05.006Z', level: 'error', msg: 'fsync failed', node: 'n1', map: 'm', error: { name: 'Error', message: 'EIO', code: 'EIO' } },
    ]);
  });

  it('keeps the line’s own time, level and message apart from fields of the same name', () => {
    const { log, lines } = capture({ json: true });
    log.warn('real', { level: 'debug', msg: 'fake', time: 0 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'real', 'field.level': 'debug', 'field.msg': 'fake', 'field.time': 0 });
  });

  it('writes readable text lines', () => {
    const { log, lines } = capture();
    log.warn('peer down', { peer: 'n 2', reason: 'failed', n: 3 });
    expect(lines).toEqual(['2025-01-02T03:04:05.006Z WARN  peer down peer="n 2" reason=failed n=3\n']);
  });

  it('never writes a secret: keys naming one at any depth, bearer tokens inside strings', () => {
    for (const json of [true, false]) {
      const { log, lines } = capture({ json, fields: { secret: 's3cr3t-bound' } });
      log.info('http request Authorization: Bearer tok-123', {
        headers: { Authorization: 'Bearer tok-456', 'x-api-key': 'k-789' },
        config: { cluster: 'c', clusterSecret: 's3cr3t-2', nested: [{ password: 'pw-1' }] },
        token: 'tok-000',
        note: 'sent Bearer tok-999 to peer',
      });
      const out = lines.join('');
      for (const s of ['s3cr3t', 'tok-', 'k-789', 'pw-1']) expect(out).not.toContain(s);
      expect(out).toContain(REDACTED);
      expect(out).toContain('cluster');
    }
  });

  it('keeps one event on one line whatever the strings hold, and never throws', () => {
    fc.assert(
      fc.property(fc.string(), fc.anything(), fc.boolean(), (message, value, json) => {
        const { log, lines } = capture({ json });
        const cyclic: Record<string, unknown> = { value };
        cyclic.self = cyclic;
        log.info(message, { peer: message, value, cyclic, big: 10n });
        expect(lines.length).toBe(1);
        expect(lines[0]!.endsWith('\n')).toBe(true);
        expect(lines[0]!.slice(0, -1)).not.toMatch(/[\n\r\u2028\u2029]/);
        if (json) expect(() => JSON.parse(lines[0]!)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('is silent at level silent and refuses an unknown level', () => {
    const { log, lines } = capture({ level: 'silent' });
    log.error('x');
    expect(lines).toEqual([]);
    expect(() => createLogger({ level: 'loud' as never })).toThrow();
  });
});
