/**
 * Small HTTP helpers: JSON responses, JSON errors with stable codes, bounded body reading, bearer-token checks.
 *
 * Every response body is JSON. Byte-array values (the wire allows them) are rendered as `{ "$base64": "…" }`.
 * Request bodies are untrusted: bounded by `bodyBytesMax` (declared length checked first, then counted), parsed
 * with JSON.parse, never evaluated.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeErrorCode, httpStatusOf, type ErrorInfo } from '../errors.js';

/** A result across the request boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

/** Serialise a value as the API does (bytes as `{ $base64 }`). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Send `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = `${toJson(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Send `{ error: { code, message } }` with the status of the code. */
export function sendError(res: ServerResponse, error: ErrorInfo, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) if (!res.headersSent) res.setHeader(k, v);
  sendJson(res, httpStatusOf(error.code), { error: { code: error.code, message: error.message } });
}

/** Read the body as JSON, at most `bytesMax` bytes. */
export function readJsonBody(req: IncomingMessage, bytesMax: number): Promise<Result<unknown>> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge: Result<unknown> = { ok: false, error: { code: NodeErrorCode.bodyTooLarge, message: `request body exceeds ${bytesMax} bytes` } };
    if (Number.isFinite(declared) && declared > bytesMax) {
      req.resume();
      return resolve(tooLarge);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > bytesMax) {
        done = true;
        chunks.length = 0;
        req.resume();
        return resolve(tooLarge);
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (done) return;
      done = true;
      resolve({ ok: false, error: { code: NodeErrorCode.badRequest, message: `request body: ${error.message}` } });
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim().length === 0) return resolve({ ok: false, error: { code: NodeErrorCode.badJson, message: 'the body must be a JSON value (e.g. "text", 42, {"a":1})' } });
      try {
        resolve({ ok: true, value: JSON.parse(text) as unknown });
      } catch (error) {
        resolve({ ok: false, error: { code: NodeErrorCode.badJson, message: `the body is not JSON: ${(error as Error).message}` } });
      }
    });
  });
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A checker of `Authorization: Bearer <token>` against the accepted tokens (constant-time compare). */
export function createBearerCheck(tokens: readonly string[]): (req: IncomingMessage) => boolean {
  const accepted = tokens.map(digest);
  return (req) => {
    if (accepted.length === 0) return true;
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (m === null) return false;
    const given = digest(m[1]!);
    let ok = false;
    for (const a of accepted) ok = timingSafeEqual(a, given) || ok;
    return ok;
  };
}

/** Parse a non-negative integer query parameter; `fallback` when absent. */
export function intParam(url: URL, name: string, fallback: number, max: number): Result<number> {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return { ok: true, value: fallback };
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    return { ok: false, error: { code: NodeErrorCode.badRequest, message: `${name} must be an integer 0..${max}, got ${JSON.stringify(raw)}` } };
  }
  return { ok: true, value: n };
}
