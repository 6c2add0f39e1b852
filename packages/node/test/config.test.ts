/**
 * `rumor start` configuration (src/cli/config.ts): precedence flags > RUMOR_* variables > config file > defaults,
 * and clear `cli.usage` errors naming what is wrong.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStartConfig } from '../src/cli/config.js';

const noFile = (): string => {
  throw new Error('ENOENT');
};

describe('resolveStartConfig', () => {
  it('defaults: 127.0.0.1:4001, HTTP on 5001, data under ./.data/<id>', () => {
    const { init } = resolveStartConfig(['--id', 'a'], {}, noFile);
    expect(init).toMatchObject({ id: 'a', listen: { host: '127.0.0.1', port: 4001 }, http: { host: '127.0.0.1', port: 5001 }, seeds: [] });
    expect(init.dataDir).toBe(path.join('.data', 'a'));
  });

  it('HTTP port follows the WebSocket port, 0 with 0, and can be set or turned off', () => {
    expect(resolveStartConfig(['--port', '4100'], {}, noFile).init.http).toMatchObject({ port: 5100 });
    expect(resolveStartConfig(['--port', '0'], {}, noFile).init.http).toMatchObject({ port: 0 });
    expect(resolveStartConfig(['--port', '4100', '--http-port', '8080'], {}, noFile).init.http).toMatchObject({ port: 8080 });
    expect(resolveStartConfig(['--no-http'], {}, noFile).init.http).toBe(false);
  });

  it('flags win over environment variables, which win over the config file', () => {
    const file = JSON.stringify({ id: 'from-file', port: 4300, seeds: ['ws://10.0.0.1:4001'], secret: 'file-secret', data: 'rel/dir', maps: { default: { policy: 'fww' } } });
    const read = (): string => file;
    const env = { RUMOR_CONFIG: '/etc/rumor/rumor.json', RUMOR_PORT: '4200', RUMOR_SEEDS: 'ws://10.0.0.2:4001, ws://10.0.0.3:4001' };
    const { init } = resolveStartConfig(['--port', '4100'], env, read);
    expect(init.id).toBe('from-file');
    expect(init.listen).toMatchObject({ port: 4100 });
    expect(init.seeds).toEqual(['ws://10.0.0.2:4001', 'ws://10.0.0.3:4001']);
    expect(init.secret).toBe('file-secret');
    expect(init.dataDir).toBe(path.resolve('/etc/rumor', 'rel/dir')); // relative to the config file
    expect(init.maps).toEqual({ default: { policy: 'fww' } });
    expect(resolveStartConfig([], env, read).init.listen).toMatchObject({ port: 4200 });
  });

  it('repeated and comma-separated --seed flags', () => {
    const { init } = resolveStartConfig(['--seed', 'ws://a:1,ws://b:2', '-s', 'ws://c:3'], {}, noFile);
    expect(init.seeds).toEqual(['ws://a:1', 'ws://b:2', 'ws://c:3']);
  });

  const bad: Array<[string, string[], Record<string, string>, string]> = [
    ['an unknown flag', ['--colour', 'x'], {}, "Unknown option '--colour'"],
    ['a port that is not a number', ['--port', '40o1'], {}, '--port'],
    ['a port out of range', ['--http-port', '65536'], {}, '--http-port'],
    ['a bad variable', [], { RUMOR_HTTP_PORT: '-1' }, '$RUMOR_HTTP_PORT'],
    ['a seed that is not ws://', ['--seed', '127.0.0.1:4001'], {}, 'not a ws:// address'],
    ['a bad fsync policy', ['--fsync', 'maybe'], {}, 'fsync'],
    ['an HTTP port beyond 65535 by default', ['--port', '65000'], {}, 'set --http-port'],
  ];
  for (const [what, args, env, says] of bad) {
    it(`refuses ${what} with cli.usage`, () => {
      expect(() => resolveStartConfig(args, env, noFile)).toThrow(expect.objectContaining({ code: 'cli.usage', message: expect.stringContaining(says) }));
    });
  }

  it('refuses a config file that is not JSON or has unknown fields', () => {
    expect(() => resolveStartConfig(['--config', 'x.json'], {}, () => '{port: 1}')).toThrow(/not JSON/);
    expect(() => resolveStartConfig(['--config', 'x.json'], {}, () => '{"prot": 1}')).toThrow(/unknown field "prot"/);
    expect(() => resolveStartConfig(['--config', 'x.json'], {}, noFile)).toThrow(/cannot read config file/);
  });
});
