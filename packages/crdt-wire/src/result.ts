/**
 * Results across ingest boundaries (style guide, "Errors"): untrusted input never throws past this package; every
 * operating error is a value `{ ok: false, error: { code, message } }` whose `code` is a stable string listed in
 * docs/errors.md (`## crdt-wire`). Messages are for humans and may change; codes never do.
 */
import type { WireErrorCode } from './errors.js';

/** An operating error: a stable `code` to count and branch on, and a human-readable `message`. */
export interface WireError {
  readonly code: WireErrorCode;
  readonly message: string;
}

/** Success with a value, or failure with a {@link WireError}. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

/** Builds a success result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failure result. */
export function fail<T = never>(code: WireErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
