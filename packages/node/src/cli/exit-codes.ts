/**
 * Exit codes of the `rumor` CLI (documented in docs/node.md "Exit codes"); stable, scripts may rely on them.
 */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** `get`/`delete`: the key has no value. */
  notFound: 1,
  /** Bad command, flag, argument, value or config file; nothing was done. */
  usage: 2,
  /** The node's HTTP API did not answer (not running, wrong --node, timeout). */
  unreachable: 3,
  /** The node answered with an error (invalid value, unauthorized, too large, …); the message has its code. */
  refused: 4,
  /** `start`/`demo`: the node could not start (port in use, data directory locked or of another node, I/O). */
  startFailed: 5,
  /** A second Ctrl-C (SIGINT) cut a graceful shutdown short. */
  interrupted: 130,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
