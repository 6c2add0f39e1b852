import { describe, expect, it } from 'vitest';
import { parseNodeArgs } from '@rumor/maelstrom';

describe('parseNodeArgs', () => {
  it('accepts every top-level knob docs/maelstrom.md lists, from --config and from the environment', () => {
    const config = { workload: 'broadcast', seed: -3, nodesMax: 64, joinSeeds: 3, readyPeers: 5, readyTimeoutMs: 500, broadcast: { graftTimeoutMs: 100 } };
    const fromFlag = parseNodeArgs(['--config', JSON.stringify(config)]);
    expect(fromFlag).toEqual({ ok: true, value: config });
    expect(parseNodeArgs([], JSON.stringify(config))).toEqual({ ok: true, value: config });
  });

  it('refuses unknown keys and bad numbers with a reason', () => {
    const unknown = parseNodeArgs(['--config', '{"readyPeer":5}']);
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error).toMatch(/unknown key readyPeer.*readyPeers/);
    for (const bad of ['{"readyPeers":-1}', '{"readyTimeoutMs":"2s"}', '{"joinSeeds":null}', '{"seed":"1"}']) {
      const r = parseNodeArgs(['--config', bad]);
      expect(r.ok, bad).toBe(false);
    }
  });
});
