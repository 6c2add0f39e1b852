/**
 * The client commands of the CLI — `rumor put|get|delete|scan|status|peers` — against a running node's HTTP API.
 *
 * Output: values as JSON on stdout (one line); `scan` prints `key<TAB>value` lines (or one JSON document with
 * `--json`); `status` and `peers` print JSON (peers as a table unless `--json`). Failures go to stderr as
 * `rumor: <code>: <message>` with the exit codes of exit-codes.ts.
 */
import { parseArgs } from 'node:util';
import { NodeError, NodeErrorCode } from '../errors.js';
import { ExitCode } from './exit-codes.js';

/** Flags every client command takes. */
const CLIENT_OPTIONS = {
  node: { type: 'string', short: 'n' },
  map: { type: 'string', short: 'm' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  string: { type: 'boolean' },
  meta: { type: 'boolean' },
  limit: { type: 'string' },
  after: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Default node of the client commands (the HTTP port of `rumor start` with its default port). */
export const DEFAULT_NODE = 'http://127.0.0.1:5001';

/** Where client output goes (the process streams, or buffers in tests). */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

interface Reply {
  status: number;
  body: unknown;
}

function usage(message: string): never {
  throw new NodeError(NodeErrorCode.usage, message);
}

/** Which positional arguments each command takes. */
const ARITY: Record<string, { min: number; max: number; synopsis: string }> = {
  put: { min: 2, max: 2, synopsis: 'rumor put <key> <json-value> [--string] [--map m] [--node url] [--token t]' },
  get: { min: 1, max: 1, synopsis: 'rumor get <key> [--meta] [--map m] [--node url]' },
  delete: { min: 1, max: 1, synopsis: 'rumor delete <key> [--map m] [--node url] [--token t]' },
  scan: { min: 0, max: 1, synopsis: 'rumor scan [prefix] [--limit n] [--after key] [--json] [--map m] [--node url]' },
  status: { min: 0, max: 0, synopsis: 'rumor status [--node url]' },
  peers: { min: 0, max: 0, synopsis: 'rumor peers [--json] [--node url]' },
};

/** Run a client command; returns the exit code. */
export async function runClient(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Output,
): Promise<number> {
  const arity = ARITY[command];
  if (arity === undefined) usage(`unknown command ${command}`);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...args], options: CLIENT_OPTIONS, strict: true, allowPositionals: true }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    });
  } catch (error) {
    usage(`${(error as Error).message}\nusage: ${arity.synopsis}`);
  }
  if (values.help === true) {
    io.out(`usage: ${arity.synopsis}`);
    return ExitCode.ok;
  }
  if (positionals.length < arity.min || positionals.length > arity.max) {
    usage(`${command} takes ${arity.min === arity.max ? arity.min : `${arity.min}..${arity.max}`} argument(s), got ${positionals.length}\nusage: ${arity.synopsis}`);
  }
  const base = String(values.node ?? env.RUMOR_NODE ?? DEFAULT_NODE).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+$/.test(base)) usage(`--node must be an http:// base URL like ${DEFAULT_NODE}, got ${JSON.stringify(base)}`);
  const token = (values.token as string | undefined) ?? env.RUMOR_TOKEN;
  const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) usage(`--timeout must be a positive integer (ms), got ${JSON.stringify(values.timeout)}`);
  const map = values.map as string | undefined;
  const query = (extra: Record<string, string | undefined> = {}): string => {
    const q = new URLSearchParams();
    if (map !== undefined) q.set('map', map);
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
    const s = q.toString();
    return s.length > 0 ? `?${s}` : '';
  };
  const kvPath = (key: string): string => `/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

  async function call(method: string, path: string, body?: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new NodeError(NodeErrorCode.unreachable, `no answer from ${base} (${why}); is a node running there? (rumor start, or --node)`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** Print the node's error and return its exit code. */
  function failed(reply: Reply): number {
    const e = (reply.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = e?.code ?? `http.${reply.status}`;
    io.err(`rumor: ${code}: ${e?.message ?? `HTTP ${reply.status}`}`);
    return code === NodeErrorCode.keyNotFound ? ExitCode.notFound : ExitCode.refused;
  }

  switch (command) {
    case 'put': {
      const [key, raw] = positionals as [string, string];
      let json: string;
      if (values.string === true) json = JSON.stringify(raw);
      else {
        try {
          JSON.parse(raw);
          json = raw;
        } catch {
          usage(`value ${JSON.stringify(raw)} is not JSON; quote a string ('"${raw}"') or pass --string`);
        }
      }
      const reply = await call('PUT', kvPath(key) + query(), json);
      if (reply.status !== 200) return failed(reply);
      io.out(values.json === true ? JSON.stringify(reply.body) : 'ok');
      return ExitCode.ok;
    }
    case 'get': {
      const reply = await call('GET', kvPath(positionals[0]!) + query(values.meta === true ? { meta: '1' } : {}));
      if (reply.status !== 200) return failed(reply);
      io.out(JSON.stringify(reply.body));
      return ExitCode.ok;
    }
    case 'delete': {
      const reply = await call('DELETE', kvPath(positionals[0]!) + query());
      if (reply.status !== 200) return failed(reply);
      const deleted = (reply.body as { deleted?: boolean }).deleted === true;
      if (values.json === true) io.out(JSON.stringify(reply.body));
      else io.out(deleted ? 'deleted' : 'not found');
      return deleted ? ExitCode.ok : ExitCode.notFound;
    }
    case 'scan': {
      const reply = await call('GET', `/kv${query({ prefix: positionals[0], limit: values.limit as string | undefined, after: values.after as string | undefined })}`);
      if (reply.status !== 200) return failed(reply);
      const page = reply.body as { items: Array<{ key: string; value: unknown }>; next?: string };
      if (values.json === true) io.out(JSON.stringify(page));
      else {
        for (const { key, value } of page.items) io.out(`${key}\t${JSON.stringify(value)}`);
        if (page.next !== undefined) io.err(`(more: --after ${JSON.stringify(page.next)})`);
      }
      return ExitCode.ok;
    }
    case 'status': {
      const reply = await call('GET', '/status');
      if (reply.status !== 200) return failed(reply);
      io.out(JSON.stringify(reply.body, null, 2));
      return ExitCode.ok;
    }
    case 'peers': {
      const reply = await call('GET', '/peers');
      if (reply.status !== 200) return failed(reply);
      const p = reply.body as { self: string; address: string; active: Array<{ id: string; address?: string }>; passive: Array<{ id: string; address?: string }> };
      if (values.json === true) {
        io.out(JSON.stringify(p));
        return ExitCode.ok;
      }
      io.out(`self     ${p.self}  ${p.address}`);
      for (const a of p.active) io.out(`active   ${a.id}  ${a.address ?? ''}`);
      for (const a of p.passive) io.out(`passive  ${a.id}  ${a.address ?? ''}`);
      return ExitCode.ok;
    }
  }
  return usage(`unknown command ${command}`);
}
