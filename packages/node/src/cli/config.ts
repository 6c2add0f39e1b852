/**
 * `rumor start` configuration: flags, then `RUMOR_*` environment variables, then a JSON config file, then defaults
 * (in that order of precedence), turned into `createNode` options. Pure apart from reading the config file, so
 * every error is a `cli.usage` error with a message naming the flag, variable or field at fault.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NodeError, NodeErrorCode } from '../errors.js';
import type { HttpInit, NodeInit } from '../options.js';

/** Default WebSocket port of `rumor start`. */
export const DEFAULT_PORT = 4001;
/** The HTTP port defaults to the WebSocket port plus this (4001 → 5001). */
export const HTTP_PORT_OFFSET = 1000;

/** Flags of `rumor start` (node:util parseArgs). */
export const START_OPTIONS = {
  id: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  advertise: { type: 'string' },
  seed: { type: 'string', multiple: true, short: 's' },
  data: { type: 'string', short: 'd' },
  secret: { type: 'string' },
  cluster: { type: 'string' },
  'http-host': { type: 'string' },
  'http-port': { type: 'string' },
  'no-http': { type: 'boolean' },
  token: { type: 'string' },
  fsync: { type: 'string' },
  config: { type: 'string', short: 'c' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Environment variables of `rumor start`, by flag. */
export const START_ENV: Readonly<Record<string, string>> = {
  id: 'RUMOR_ID',
  host: 'RUMOR_HOST',
  port: 'RUMOR_PORT',
  advertise: 'RUMOR_ADVERTISE',
  seed: 'RUMOR_SEEDS',
  data: 'RUMOR_DATA',
  secret: 'RUMOR_SECRET',
  cluster: 'RUMOR_CLUSTER',
  'http-host': 'RUMOR_HTTP_HOST',
  'http-port': 'RUMOR_HTTP_PORT',
  token: 'RUMOR_TOKEN',
  fsync: 'RUMOR_FSYNC',
  config: 'RUMOR_CONFIG',
};

/** Fields a config file may hold. */
const FILE_FIELDS = new Set([
  'id', 'host', 'port', 'advertise', 'seeds', 'data', 'secret', 'cluster', 'http', 'fsync', 'maps', 'openMaps', 'mapsMax',
  'antiEntropyIntervalMs', 'rejoinPeersMax', 'hlc', 'membership', 'broadcast', 'replica', 'carrier',
]);

/** The resolved `rumor start` configuration. */
export interface StartConfig {
  init: NodeInit;
  quiet: boolean;
  help: boolean;
}

function usage(message: string): never {
  throw new NodeError(NodeErrorCode.usage, message);
}

function portOf(raw: unknown, where: string): number {
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535)) usage(`${where}: a port is an integer 0..65535, got ${JSON.stringify(raw)}`);
  return n;
}

function stringOf(raw: unknown, where: string): string {
  if (typeof raw !== 'string' || raw.length === 0) usage(`${where}: expected a non-empty string, got ${JSON.stringify(raw)}`);
  return raw;
}

function objectOf(raw: unknown, where: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) usage(`${where}: expected an object`);
  return raw as Record<string, unknown>;
}

const splitList = (s: string): string[] => s.split(/[,\s]+/).filter((x) => x.length > 0);

/** Read and check a config file (JSON); relative `data` resolves against the file's directory. */
export function readConfigFile(file: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    usage(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    usage(`config file ${file} is not JSON: ${(error as Error).message}`);
  }
  const config = objectOf(parsed, `config file ${file}`);
  for (const key of Object.keys(config)) {
    if (!FILE_FIELDS.has(key)) usage(`config file ${file}: unknown field "${key}" (known: ${[...FILE_FIELDS].join(', ')})`);
  }
  if (typeof config.data === 'string' && !path.isAbsolute(config.data)) config.data = path.resolve(path.dirname(file), config.data);
  return config;
}

/** Resolve `rumor start` arguments (after the command word) and environment into node options. */
export function resolveStartConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  read?: (file: string) => string,
): StartConfig {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...args], options: START_OPTIONS, strict: true, allowPositionals: true }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (positionals.length > 0) usage(`unexpected argument ${JSON.stringify(positionals[0])} (rumor start takes flags only)`);
  const help = values.help === true;
  const quiet = values.quiet === true;

  // Flags win over environment variables.
  const pick = (flag: string): unknown => {
    if (values[flag] !== undefined) return values[flag];
    const name = START_ENV[flag];
    const v = name === undefined ? undefined : env[name];
    return v === undefined || v === '' ? undefined : flag === 'seed' ? splitList(v) : v;
  };
  const where = (flag: string): string => (values[flag] !== undefined ? `--${flag}` : `$${START_ENV[flag]}`);

  const configFile = pick('config');
  const file = configFile === undefined ? {} : readConfigFile(stringOf(configFile, where('config')), read);

  const id = pick('id') ?? file.id;
  const host = pick('host') ?? file.host ?? '127.0.0.1';
  const wsPort = portOf(pick('port') ?? file.port ?? DEFAULT_PORT, pick('port') !== undefined ? where('port') : 'port');
  const flagSeeds = pick('seed') as string[] | undefined;
  const seedsRaw = flagSeeds?.flatMap(splitList) ?? file.seeds ?? [];
  if (!Array.isArray(seedsRaw)) usage('seeds: expected a list of ws:// addresses');
  const seeds = seedsRaw.map((s, i) => {
    const seed = stringOf(s, `seed ${i + 1}`);
    if (!/^wss?:\/\/[^\s/]+/.test(seed)) usage(`seed ${JSON.stringify(seed)} is not a ws:// address (e.g. ws://127.0.0.1:4002)`);
    return seed;
  });
  const data = pick('data') ?? file.data ?? path.join('.data', typeof id === 'string' ? id : 'node');

  let http: HttpInit | false;
  if (values['no-http'] === true || file.http === false) http = false;
  else {
    const fileHttp = file.http === undefined ? {} : objectOf(file.http, 'config field http');
    const httpPortRaw = pick('http-port') ?? fileHttp.port;
    const httpPort = httpPortRaw === undefined ? (wsPort === 0 ? 0 : wsPort + HTTP_PORT_OFFSET) : portOf(httpPortRaw, where('http-port'));
    if (httpPort > 65535) usage(`the default HTTP port (--port + ${HTTP_PORT_OFFSET}) is ${httpPort}; set --http-port`);
    const token = pick('token') ?? fileHttp.token;
    http = {
      ...(fileHttp as HttpInit),
      host: stringOf(pick('http-host') ?? fileHttp.host ?? host, 'http host'),
      port: httpPort,
      ...(token !== undefined ? { token: stringOf(token, where('token')) } : {}),
    };
  }

  const fsync = pick('fsync') ?? file.fsync;
  if (fsync !== undefined && !['always', 'batch', 'never'].includes(fsync as string)) usage(`fsync must be always, batch or never, got ${JSON.stringify(fsync)}`);
  const secret = pick('secret') ?? file.secret;
  const cluster = pick('cluster') ?? file.cluster;
  const advertise = pick('advertise') ?? file.advertise;
  if (advertise !== undefined && !/^wss?:\/\/\S+$/.test(String(advertise))) usage(`advertise ${JSON.stringify(advertise)} is not a ws:// address`);

  const passThrough: Partial<NodeInit> = {};
  for (const key of ['maps', 'openMaps', 'mapsMax', 'antiEntropyIntervalMs', 'rejoinPeersMax', 'hlc', 'membership', 'broadcast', 'replica', 'carrier'] as const) {
    if (file[key] !== undefined) (passThrough as Record<string, unknown>)[key] = file[key];
  }

  const init: NodeInit = {
    ...passThrough,
    ...(id !== undefined ? { id: stringOf(id, 'id') } : {}),
    dataDir: stringOf(data, 'data'),
    listen: { host: stringOf(host, 'host'), port: wsPort },
    ...(advertise !== undefined ? { advertise: String(advertise) } : {}),
    seeds,
    ...(secret !== undefined ? { secret: stringOf(secret, 'secret') } : {}),
    ...(cluster !== undefined ? { cluster: stringOf(cluster, 'cluster') } : {}),
    ...(fsync !== undefined ? { fsync: fsync as NodeInit['fsync'] } : {}),
    http,
  };
  return { init, quiet, help };
}
