/**
 * The process side of a Maelstrom node: newline-delimited lines from `stdin` into `createMaelstromNode`, output
 * lines to `stdout`, logs to `stderr` (Maelstrom reads only protocol lines on stdout), real timers.
 *
 * Robustness: input is split into lines with a bound — a line longer than the bound is discarded up to its
 * newline and logged, never buffered without limit; a timer callback that throws is logged and the node goes on.
 * The returned promise settles when stdin ends (Maelstrom closes it at the end of a test): the node says goodbye
 * to its neighbours and stops its timers.
 */
import type { Logger, Timers } from '@rumor/replica';
import { createMaelstromNode, type MaelstromNode, type MaelstromNodeInit } from './node.js';
import { DEFAULT_PROTOCOL_LIMITS } from './protocol.js';

/** Streams and options of `runMaelstromNode`. */
export interface RunMaelstromNodeOptions extends MaelstromNodeInit {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Log level on stderr: `warn` (default) or `debug`. */
  logLevel?: 'warn' | 'debug' | 'silent';
  /** Called with the node once it exists (tests, status). */
  onNode?: (node: MaelstromNode) => void;
}

/** Real timers whose callbacks never throw out into the event loop. */
export function createRealTimers(log?: Logger): Timers {
  return {
    now: () => performance.now(),
    setTimer(delayMs, fn) {
      const t = setTimeout(() => {
        try {
          fn();
        } catch (e) {
          log?.warn?.('maelstrom: timer callback threw', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        }
      }, Math.max(0, delayMs));
      return () => clearTimeout(t);
    },
  };
}

/** A logger writing one JSON line per event to `stream`. */
export function createStreamLogger(stream: NodeJS.WritableStream, level: 'warn' | 'debug' | 'silent'): Logger {
  const line = (lvl: string, message: string, fields?: Record<string, unknown>) => {
    try {
      stream.write(`${JSON.stringify({ t: Math.round(performance.now()), lvl, msg: message, ...fields })}\n`);
    } catch {
      // stderr gone: nothing left to tell.
    }
  };
  if (level === 'silent') return {};
  return level === 'debug' ? { debug: (m, f) => line('debug', m, f), warn: (m, f) => line('warn', m, f) } : { warn: (m, f) => line('warn', m, f) };
}

/** Splits a byte stream into lines; a line longer than `charsMax` is dropped (reported via `onOverflow`). */
export function createLineSplitter(charsMax: number, onLine: (line: string) => void, onOverflow: (chars: number) => void) {
  let buffer = '';
  let discarding = false;
  let discarded = 0;
  return {
    push(chunk: string): void {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf('\n', start);
        if (nl < 0) break;
        const piece = chunk.slice(start, nl);
        start = nl + 1;
        if (discarding) {
          onOverflow(discarded + piece.length);
          discarding = false;
          discarded = 0;
          continue;
        }
        const line = buffer.length > 0 ? buffer + piece : piece;
        buffer = '';
        if (line.length > charsMax) onOverflow(line.length);
        else onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      const rest = chunk.slice(start);
      if (discarding) discarded += rest.length;
      else if (buffer.length + rest.length > charsMax) {
        discarding = true;
        discarded = buffer.length + rest.length;
        buffer = '';
      } else buffer += rest;
    },
    /** The stream ended: a last line without a newline is still a line. */
    end(): void {
      if (!discarding && buffer.length > 0) onLine(buffer);
      buffer = '';
    },
  };
}

/** Run a Maelstrom node on the given streams until `stdin` ends. */
export async function runMaelstromNode(options: RunMaelstromNodeOptions): Promise<void> {
  const { stdin, stdout, stderr, logLevel = 'warn', onNode, ...init } = options;
  const log = createStreamLogger(stderr, logLevel);
  const timers = createRealTimers(log);
  const node = createMaelstromNode(init, {
    write: (line) => {
      stdout.write(`${line}\n`);
    },
    timers,
    log,
  });
  onNode?.(node);
  const charsMax = init.protocol?.lineCharsMax ?? DEFAULT_PROTOCOL_LIMITS.lineCharsMax;
  const splitter = createLineSplitter(charsMax, (line) => node.handleLine(line), (chars) => log.warn?.('maelstrom: line too long, dropped', { chars, charsMax }));
  stdin.setEncoding?.('utf8');
  await new Promise<void>((resolve) => {
    stdin.on('data', (chunk: string | Buffer) => splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
    stdin.on('end', () => {
      splitter.end();
      resolve();
    });
    stdin.on('error', (e: Error) => {
      log.warn?.('maelstrom: stdin error', { error: e.message });
      resolve();
    });
  });
  await node.close();
}
