#!/usr/bin/env node
/**
 * The `rumor` command line (docs/node.md): `start` runs a node in the foreground; `put`, `get`, `delete`, `scan`,
 * `status`, `peers` talk to a running node over its HTTP API; `demo` runs a local 3-node cluster with no
 * configuration. Arguments are parsed with node:util parseArgs (strict: an unknown flag is an error); exit codes
 * are those of cli/exit-codes.ts.
 */
import { NodeErrorCode, toErrorInfo } from './errors.js';
import { resolveStartConfig, START_ENV } from './cli/config.js';
import { runClient } from './cli/client.js';
import { stderrLogger, stopOnSignal } from './cli/serve.js';
import { ExitCode } from './cli/exit-codes.js';

// The node (carrier, protocol stack, maps) is loaded only by `start` and `demo`: client commands start fast.

const HELP = `rumor — a CRDT replication node

usage:
  rumor start [--id a] [--port 4001] [--seed ws://127.0.0.1:4002 …] [--data ./data/a]
              [--host 127.0.0.1] [--advertise ws://…] [--http-port 5001] [--http-host h] [--no-http]
              [--secret s] [--token t] [--cluster name] [--fsync always|batch|never] [--config rumor.json] [--quiet]
  rumor put <key> <json-value> [--string]     write (value is JSON: '"text"', 42, '{"a":1}')
  rumor get <key> [--meta]                     read the resolved value (--meta: siblings, hlc, writer)
  rumor delete <key>
  rumor scan [prefix] [--limit n] [--after key] [--json]
  rumor status                                 node status (views, pending work, keys, anti-entropy, rejections)
  rumor peers [--json]                         membership views
  rumor demo [--nodes 3] [--base-port 4001] [--data dir]
                                               a local cluster with no configuration
  rumor maelstrom [--workload auto|broadcast|g-set|g-counter|pn-counter] [--seed n] [--config json] [--log level]
                                               a Maelstrom node on stdin/stdout (docs/maelstrom.md)

client commands take --node http://127.0.0.1:5001 ($RUMOR_NODE), --map name, --token t ($RUMOR_TOKEN),
--timeout ms. start reads ${Object.values(START_ENV).join(', ')}.
exit codes: 0 ok, 1 not found, 2 usage, 3 node unreachable, 4 refused by the node, 5 start failed, 130 interrupted.
`;

const CLIENT_COMMANDS = new Set(['put', 'get', 'delete', 'scan', 'status', 'peers']);

function fail(error: unknown, fallback: number): number {
  const info = toErrorInfo(error);
  process.stderr.write(`rumor: ${info.code}: ${info.message}\n`);
  if (info.code === NodeErrorCode.usage) return ExitCode.usage;
  if (info.code === NodeErrorCode.unreachable) return ExitCode.unreachable;
  return fallback;
}

async function start(args: string[]): Promise<number> {
  const config = resolveStartConfig(args, process.env);
  if (config.help) {
    process.stdout.write(HELP);
    return ExitCode.ok;
  }
  const label = config.init.id ?? 'node';
  const { createNode } = await import('./node.js');
  const node = await createNode(config.init, { log: stderrLogger(label, config.quiet, process.env) });
  stopOnSignal(() => node.close());
  process.stdout.write(
    [
      `rumor node ${node.id} ready`,
      `  peers dial   ${node.address}`,
      `  http api     ${node.httpAddress ?? '(off)'}`,
      `  data         ${node.dataDir}`,
      `  seeds        ${config.init.seeds?.join(' ') || '(none: first node)'}`,
      '',
    ].join('\n'),
  );
  return -1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (command === 'start') {
    try {
      return await start(rest);
    } catch (error) {
      return fail(error, ExitCode.startFailed);
    }
  }
  if (command === 'demo') {
    try {
      const { runDemo } = await import('./cli/demo.js');
      return await runDemo(rest, process.env);
    } catch (error) {
      return fail(error, ExitCode.startFailed);
    }
  }
  if (command === 'maelstrom') {
    // Maelstrom owns stdout: only protocol lines go there, everything else to stderr.
    const { parseNodeArgs, runMaelstromNode } = await import('@rumor/maelstrom');
    const parsed = parseNodeArgs(rest, process.env.RUMOR_MAELSTROM_CONFIG);
    if (!parsed.ok) {
      process.stderr.write(`rumor: ${NodeErrorCode.usage}: ${parsed.error}\n`);
      return ExitCode.usage;
    }
    process.stdout.on('error', () => {}); // Maelstrom gone: no EPIPE crash while saying goodbye
    await runMaelstromNode({ ...parsed.value, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    return ExitCode.ok;
  }
  if (CLIENT_COMMANDS.has(command)) {
    try {
      return await runClient(command, rest, process.env, {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (error) {
      return fail(error, ExitCode.refused);
    }
  }
  process.stderr.write(`rumor: ${NodeErrorCode.usage}: unknown command ${JSON.stringify(command)} (rumor --help lists them)\n`);
  return ExitCode.usage;
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: a server runs; the process lives until a signal stops it.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`rumor: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
