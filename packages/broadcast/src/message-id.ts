/**
 * Message ids (Plumtree §3.1: every message carries a unique `mID`).
 *
 * An id is `<seq>@<origin>`: the origin's node id and a per-origin sequence number in base 36. It is compact
 * (a few bytes beyond the node id), needs no hashing, and is collision-safe as long as an origin never reuses a
 * sequence number. A node keeps no durable counter, so the sequence restarts from the clock: the first id after
 * start-up is `now() * 1000` (microsecond resolution) and each next one is `max(last + 1, now() * 1000)`. A node
 * that restarts therefore continues above every id it minted before, unless it minted more than 1 000 ids per
 * millisecond on average for a sustained time, or its clock stepped back further than the dedup horizon.
 */
import { utf8Length } from './utf8.js';
import type { NodeId } from './ports.js';

/** A broadcast message's unique id: `<seq base36>@<origin node id>`. */
export type MessageId = string & { readonly __brand: 'MessageId' };

/** Longest accepted node id, in UTF-8 bytes (docs/architecture.md, `NodeId`). */
export const NODE_ID_BYTES_MAX = 64;

/** Builds the id of sequence number `seq` minted by `origin`. */
export function formatMessageId(origin: NodeId, seq: number): MessageId {
  return `${seq.toString(36)}@${origin}` as MessageId;
}

/** Splits a well-formed id into origin and sequence; `undefined` if it is not one (untrusted input). */
export function parseMessageId(value: unknown): { origin: NodeId; seq: number } | undefined {
  if (typeof value !== 'string' || value.length > 12 + NODE_ID_BYTES_MAX) return undefined;
  const at = value.indexOf('@');
  if (at < 1) return undefined;
  if (at > 11) return undefined;
  // Digits 0-9 a-z, no leading zero (canonical form only: one id, one spelling, so dedup by string equality is
  // sound). A hand-rolled loop: this runs for every id of every IHAVE.
  let seq = 0;
  for (let i = 0; i < at; i++) {
    const ch = value.charCodeAt(i);
    const digit = ch >= 48 && ch <= 57 ? ch - 48 : ch >= 97 && ch <= 122 ? ch - 87 : -1;
    if (digit < 0 || (i === 0 && digit === 0 && at > 1)) return undefined;
    seq = seq * 36 + digit;
  }
  if (!Number.isSafeInteger(seq)) return undefined;
  const origin = value.slice(at + 1);
  const bytes = utf8Length(origin);
  if (bytes < 1 || bytes > NODE_ID_BYTES_MAX) return undefined;
  return { origin: origin as NodeId, seq };
}

/** Mints ids for one origin, seeded from the clock so a restarted node cannot reuse an id (module header). */
export function createIdSource(origin: NodeId, now: () => number): () => MessageId {
  let last = -1;
  return () => {
    const fromClock = Math.max(0, Math.floor(now() * 1000));
    last = Math.max(last + 1, fromClock);
    if (!Number.isSafeInteger(last)) throw new RangeError('message sequence exhausted');
    return formatMessageId(origin, last);
  };
}
