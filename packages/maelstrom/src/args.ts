/**
 * Command-line flags of a Maelstrom node (`rumor maelstrom …` and `rumor-maelstrom …` share them). Maelstrom starts
 * the binary with no arguments, so every flag is optional; knobs come as one JSON object (`--config` or the
 * `RUMOR_MAELSTROM_CONFIG` environment variable, the flag winning per layer).
 */
import type { MaelstromNodeInit } from './node.js';
import type { WorkloadMode } from './workloads.js';

/** What the flags produce. */
export type NodeArgs = MaelstromNodeInit & { logLevel?: 'warn' | 'debug' | 'silent' };

const WORKLOADS: readonly WorkloadMode[] = ['auto', 'broadcast', 'g-set', 'g-counter', 'pn-counter'];
const LAYERS = ['carrier', 'membership', 'broadcast', 'replica', 'workloads', 'protocol'] as const;

/** Top-level numeric knobs of `MaelstromNodeInit`. */
const NUMBERS = ['seed', 'nodesMax', 'joinSeeds', 'readyPeers', 'readyTimeoutMs'] as const;

function parseConfig(text: string, where: string): { ok: true; value: MaelstromNodeInit } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${where} is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: `${where} must be a JSON object` };
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((LAYERS as readonly string[]).includes(k)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: `${where}.${k} must be an object` };
      value[k] = v;
    } else if (k === 'workload') value[k] = v;
    else if ((NUMBERS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || (k !== 'seed' && v < 0)) return { ok: false, error: `${where}.${k} must be a finite number${k === 'seed' ? '' : ' >= 0'}` };
      value[k] = v;
    } else return { ok: false, error: `${where}: unknown key ${k} (known: ${[...LAYERS, 'workload', ...NUMBERS].join(', ')})` };
  }
  return { ok: true, value: value as MaelstromNodeInit };
}

/** Parse argv (without node and script) plus an optional JSON config from the environment. */
export function parseNodeArgs(argv: readonly string[], envConfig?: string): { ok: true; value: NodeArgs } | { ok: false; error: string } {
  let out: NodeArgs = {};
  if (envConfig !== undefined && envConfig.trim() !== '') {
    const c = parseConfig(envConfig, 'RUMOR_MAELSTROM_CONFIG');
    if (!c.ok) return c;
    out = c.value;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const take = (): string | undefined => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    const v = flag.startsWith('--') ? take() : undefined;
    if (v === undefined) return { ok: false, error: `expected --flag value, got ${arg}` };
    switch (flag) {
      case '--workload':
        if (!WORKLOADS.includes(v as WorkloadMode)) return { ok: false, error: `--workload must be one of ${WORKLOADS.join(', ')}` };
        out.workload = v as WorkloadMode;
        break;
      case '--seed':
        if (!/^-?\d+$/.test(v)) return { ok: false, error: '--seed must be an integer' };
        out.seed = Number(v);
        break;
      case '--log':
        if (v !== 'warn' && v !== 'debug' && v !== 'silent') return { ok: false, error: '--log must be warn, debug or silent' };
        out.logLevel = v;
        break;
      case '--config': {
        const c = parseConfig(v, '--config');
        if (!c.ok) return c;
        for (const [k, val] of Object.entries(c.value)) {
          const prev = (out as Record<string, unknown>)[k];
          (out as Record<string, unknown>)[k] =
            typeof prev === 'object' && prev !== null && typeof val === 'object' && val !== null ? { ...prev, ...val } : val;
        }
        break;
      }
      default:
        return { ok: false, error: `unknown flag ${flag} (known: --workload, --seed, --config, --log)` };
    }
  }
  return { ok: true, value: out };
}
