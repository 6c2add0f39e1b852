/**
 * Running nodes in the foreground: a stderr logger, the ready banner, and graceful shutdown on SIGINT/SIGTERM
 * (a second signal exits at once with 130).
 */
import type { NodeLogger } from '../options.js';
import { ExitCode } from './exit-codes.js';

/** A logger writing `rumor[<id>]: message` lines to stderr; info lines unless quiet, debug with RUMOR_DEBUG=1. */
export function stderrLogger(label: string, quiet: boolean, env: Readonly<Record<string, string | undefined>>): NodeLogger {
  const line = (message: string, fields?: Record<string, unknown>): void => {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`rumor[${label}]: ${message}${extra}\n`);
  };
  return {
    info: quiet ? undefined : line,
    warn: (m, f) => line(`warning: ${m}`, f),
    debug: env.RUMOR_DEBUG === '1' ? line : undefined,
  };
}

/** Wait for SIGINT or SIGTERM, run `stop`, then exit 0 (or 130 on a second signal). */
export function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`rumor: ${signal} again, exiting without a graceful stop\n`);
      process.exit(ExitCode.interrupted);
    }
    stopping = true;
    process.stderr.write(`rumor: ${signal}, stopping (leaving the cluster, flushing to disk)…\n`);
    stop().then(
      () => process.exit(ExitCode.ok),
      (error: unknown) => {
        process.stderr.write(`rumor: stop failed: ${(error as Error).message}\n`);
        process.exit(ExitCode.startFailed);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
