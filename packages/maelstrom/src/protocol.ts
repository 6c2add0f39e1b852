/**
 * Maelstrom's wire protocol (jepsen-io/maelstrom `doc/protocol.md`): newline-delimited JSON objects
 * `{src, dest, body}` on stdin and stdout, bodies with a mandatory `type`, an optional integer `msg_id`, and
 * `in_reply_to` on replies; error replies `{type: "error", code, text, in_reply_to}` with Maelstrom's codes.
 *
 * Trust boundary: every line is untrusted. `parseLine` never throws; it bounds the line, checks the envelope's
 * shape and says — when the line failed — whom an error reply could go to (a request with a `src` and a
 * `msg_id` is answered; anything else is only logged).
 */

/** Maelstrom's error codes (`doc/protocol.md`, "Errors"): 0–999 are Maelstrom's, 1000 and above are free. */
export const ErrorCode = {
  /** Indefinite: the operation may or may not have happened. */
  timeout: 0,
  nodeNotFound: 1,
  /** Definite: this node does not implement the request. */
  notSupported: 10,
  /** Definite: the operation cannot be done now (e.g. before `init`). */
  temporarilyUnavailable: 11,
  /** Definite: the request is malformed. */
  malformedRequest: 12,
  /** Indefinite: the node hit an internal error handling the request. */
  crash: 13,
  /** Definite: the operation was aborted. */
  abort: 14,
  keyDoesNotExist: 20,
  keyAlreadyExists: 21,
  preconditionFailed: 22,
  txnConflict: 30,
} as const;

/** One of Maelstrom's error codes. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A message body: `type` plus workload fields; decoded, still untrusted beyond `type`/`msg_id`. */
export interface MaelstromBody {
  type: string;
  msg_id?: number;
  in_reply_to?: number;
  [field: string]: unknown;
}

/** One protocol line, shape-checked. */
export interface MaelstromMessage {
  src: string;
  dest: string;
  body: MaelstromBody;
}

/** Bounds on input lines. */
export interface ProtocolLimits {
  /** Longest accepted line, in UTF-16 code units (≈ bytes for Maelstrom's ASCII JSON). */
  lineCharsMax: number;
  /** Longest node or client id. */
  idCharsMax: number;
  /** Longest body `type`. */
  typeCharsMax: number;
}

/** Defaults: 8 MiB lines (a 256 KiB frame in base64 is ~350 KiB), 64-character ids and types. */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = Object.freeze({
  lineCharsMax: 8 * 1024 * 1024,
  idCharsMax: 64,
  typeCharsMax: 64,
});

/** Why a line was refused, and whom to tell when the line named a sender and a `msg_id`. */
export interface LineError {
  code: ErrorCodeValue;
  message: string;
  replyTo?: { src: string; msgId: number };
}

/** Result of `parseLine`. */
export type ParsedLine = { ok: true; value: MaelstromMessage } | { ok: false; error: LineError };

/** A Maelstrom `msg_id`: a non-negative safe integer. */
export function isMsgId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isId(value: unknown, limits: ProtocolLimits): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= limits.idCharsMax;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse and shape-check one line; never throws. */
export function parseLine(line: string, limits: ProtocolLimits = DEFAULT_PROTOCOL_LIMITS): ParsedLine {
  const malformed = (message: string, replyTo?: LineError['replyTo']): ParsedLine => ({
    ok: false,
    error: { code: ErrorCode.malformedRequest, message, ...(replyTo ? { replyTo } : {}) },
  });
  if (line.length > limits.lineCharsMax) return malformed(`line of ${line.length} characters exceeds ${limits.lineCharsMax}`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return malformed(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isPlainObject(raw)) return malformed('a message is a JSON object {src, dest, body}');
  const { src, dest, body } = raw;
  const msgId = isPlainObject(body) ? body.msg_id : undefined;
  const replyTo = isId(src, limits) && isMsgId(msgId) ? { src, msgId } : undefined;
  if (!isId(src, limits)) return malformed('src must be a non-empty string id');
  if (!isId(dest, limits)) return malformed('dest must be a non-empty string id', replyTo);
  if (!isPlainObject(body)) return malformed('body must be a JSON object', replyTo);
  const type = body.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > limits.typeCharsMax) {
    return malformed('body.type must be a non-empty string', replyTo);
  }
  if (body.msg_id !== undefined && !isMsgId(body.msg_id)) return malformed('body.msg_id must be a non-negative integer');
  return { ok: true, value: { src, dest, body: body as MaelstromBody } };
}

/** An error body (`doc/protocol.md`, "Errors"). */
export function errorBody(code: ErrorCodeValue, text: string, inReplyTo: number): MaelstromBody {
  return { type: 'error', in_reply_to: inReplyTo, code, text };
}

/** Serialise a message as one protocol line (no trailing newline). */
export function formatLine(src: string, dest: string, body: MaelstromBody | Record<string, unknown>): string {
  return JSON.stringify({ src, dest, body });
}
