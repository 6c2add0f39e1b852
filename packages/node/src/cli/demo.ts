/**
 * `rumor demo`: a local cluster of N nodes (default 3) in this process, over real loopback WebSockets, with no
 * configuration. Nodes `a`, `b`, `c`, … form a chain (b joins through a, c through b), so a write on `a` reaching
 * `c` shows multi-hop propagation. Ports are the `rumor start` defaults (WebSocket 4001…, HTTP 5001…) when free,
 * otherwise free ports the OS picks; every address is printed. Data lives in a fresh temporary directory, removed on
 * exit (or in `--data <dir>`, kept).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNode, type RumorNode } from '../node.js';
import { NodeError, NodeErrorCode } from '../errors.js';
import { DEFAULT_PORT, HTTP_PORT_OFFSET } from './config.js';
import { toJson } from '../http/respond.js';
import { stderrLogger, stopOnSignal } from './serve.js';
import { ExitCode } from './exit-codes.js';

const DEMO_OPTIONS = {
  nodes: { type: 'string' },
  'base-port': { type: 'string' },
  data: { type: 'string', short: 'd' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SYNOPSIS = 'rumor demo [--nodes 3] [--base-port 4001] [--data dir] [--quiet]';

/** Whether `port` can be bound on 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** How to invoke this CLI from the current directory, for the printed hints. */
function cliCommand(): string {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const rel = path.relative(process.cwd(), cli);
  return `node ${rel.startsWith('..') || path.isAbsolute(rel) ? cli : rel}`;
}

/** Run the demo; resolves once the cluster is up (the process then runs until a signal). */
export async function runDemo(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options: DEMO_OPTIONS, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw new NodeError(NodeErrorCode.usage, `${(error as Error).message}\nusage: ${SYNOPSIS}`);
  }
  if (values.help === true) {
    process.stdout.write(`usage: ${SYNOPSIS}\n`);
    return ExitCode.ok;
  }
  const count = values.nodes === undefined ? 3 : Number(values.nodes);
  if (!(Number.isInteger(count) && count >= 1 && count <= 26)) throw new NodeError(NodeErrorCode.usage, `--nodes must be 1..26, got ${JSON.stringify(values.nodes)}`);
  const basePort = values['base-port'] === undefined ? DEFAULT_PORT : Number(values['base-port']);
  if (!(Number.isInteger(basePort) && basePort >= 1 && basePort + HTTP_PORT_OFFSET + count <= 65535)) {
    throw new NodeError(NodeErrorCode.usage, `--base-port must leave room for ${count} WebSocket and HTTP ports, got ${JSON.stringify(values['base-port'])}`);
  }
  const quiet = values.quiet === true;
  const keep = typeof values.data === 'string';
  const root = keep ? path.resolve(values.data as string) : mkdtempSync(path.join(tmpdir(), 'rumor-demo-'));

  const nodes: RumorNode[] = [];
  const stopAll = async (): Promise<void> => {
    for (const n of [...nodes].reverse()) await n.close().catch(() => undefined);
    if (!keep) rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const id = String.fromCharCode(97 + i);
      const wsPort = (await portFree(basePort + i)) ? basePort + i : 0;
      const httpPort = (await portFree(basePort + HTTP_PORT_OFFSET + i)) ? basePort + HTTP_PORT_OFFSET + i : 0;
      const node = await createNode(
        {
          id,
          dataDir: path.join(root, id),
          listen: { host: '127.0.0.1', port: wsPort },
          seeds: i === 0 ? [] : [nodes[i - 1]!.address],
          http: { host: '127.0.0.1', port: httpPort },
        },
        { log: stderrLogger(id, true, env) },
      );
      nodes.push(node);
      if (!quiet) {
        const map = await node.map('default');
        map.subscribe('', (e) => {
          if (e.origin !== 'remote') return;
          const what = e.value === undefined ? 'deleted' : `= ${toJson(e.value)}`;
          process.stdout.write(`  [${id}] ${e.key} ${what}  (replicated)\n`);
        });
      }
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  stopOnSignal(stopAll);

  const cli = cliCommand();
  const [first, , last] = [nodes[0]!, nodes[1], nodes[nodes.length - 1]!];
  const lines = [
    `Rumor demo: ${count} node${count > 1 ? 's' : ''} on loopback, chained ${nodes.map((n) => n.id).join(' → ')}. Ctrl-C stops them.`,
    '',
    '  node  peers (WebSocket)        HTTP API',
    ...nodes.map((n) => `  ${n.id.padEnd(4)}  ${n.address.padEnd(24)} ${n.httpAddress}`),
    '',
    `  data: ${root}${keep ? '' : ' (removed on exit)'}`,
    '',
    'Try, in another terminal:',
    `  ${cli} put greeting '"hello"' --node ${first.httpAddress}`,
    `  ${cli} get greeting --node ${last.httpAddress}`,
    `  curl -X PUT ${first.httpAddress}/kv/users/1 -d '{"name":"Ada"}'`,
    `  curl ${last.httpAddress}/kv/users/1`,
    `  curl '${(nodes[1] ?? first).httpAddress}/kv?prefix=users/'`,
    `  curl -N ${last.httpAddress}/events`,
    `  ${cli} peers --node ${last.httpAddress}`,
    '',
    quiet ? '' : 'Replicated changes show up below as they arrive.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return -1; // keep running
}
