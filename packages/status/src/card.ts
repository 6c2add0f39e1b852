/**
 * The status card: the compact status one node tells the others about itself for the cluster view (identity,
 * active view, eager/lazy peers, health, a few totals), and the two messages of the status instance that carry
 * it: `ask` (everybody, send your card) and `card`.
 *
 * Trust: a card arrives from the network. `parseStatusMessage`/`parseCard` check shape and bounds and return a
 * result with a stable code (docs/errors.md `## status`); nothing here throws on input. The id inside a card must be
 * the peer it came from (the broadcast origin or the direct sender), so a node cannot speak for another. Strings
 * stay untrusted after parsing: the page renders them as text only.
 */
import type { Result } from '@rumor/replica';

/** Health of a node as it judges itself: `ok`, `degraded` (works, needs a look), `failing` (lost a duty). */
export type Health = 'ok' | 'degraded' | 'failing';

/** Version of the card format; a card of another version is refused. */
export const CARD_VERSION = 1;

/** What one node tells the cluster about itself. */
export interface StatusCard {
  v: number;
  id: string;
  cluster: string;
  health: Health;
  /** Why the health is not `ok`: short codes such as `isolated`, `backlog`, `rejecting`, `wal-failed`. */
  reasons: string[];
  uptimeMs: number;
  active: string[];
  passiveCount: number;
  eager: string[];
  lazy: string[];
  maps: number;
  keys: number;
  tombstones: number;
  antiEntropyRounds: number;
  rejected: number;
  /** The node's HTTP base URL (`http://` or `https://` only), for a link to its own page. */
  http?: string;
}

/** Messages of the status instance, gossiped with `broadcastCustom`: a union discriminated on `type`. */
export type StatusMessage = { type: 'ask' } | { type: 'card'; card: StatusCard };

/** Stable codes of rejected status input (docs/errors.md `## status`). */
export const StatusErrorCode = {
  /** Not a status message: wrong type, missing or extra structure. */
  malformed: 'status.malformed',
  /** A card with a field of the wrong type, out of bounds, or of another version. */
  badCard: 'status.bad-card',
  /** A card whose id is not the peer that sent it. */
  idMismatch: 'status.id-mismatch',
} as const;

/** Bounds on a card from a peer; each has a default. */
export interface CardLimits {
  /** Longest node id, in UTF-8 bytes. Default 64 (the node's own bound). */
  idBytesMax: number;
  /** Most ids in each of `active`, `eager`, `lazy`. Default 64. */
  peersMax: number;
  /** Most health reasons. Default 8. */
  reasonsMax: number;
  /** Longest cluster name or URL, in characters. Default 256. */
  textCharsMax: number;
}

/** Default card bounds. */
export const DEFAULT_CARD_LIMITS: Readonly<CardLimits> = Object.freeze({ idBytesMax: 64, peersMax: 64, reasonsMax: 8, textCharsMax: 256 });

const HEALTH: ReadonlySet<string> = new Set<Health>(['ok', 'degraded', 'failing']);
const REASON = /^[a-z][a-z0-9-]{0,31}$/;
const HTTP_URL = /^https?:\/\/[^\s"'<>\\`]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const encoder = new TextEncoder();

/** Whether `url` may be offered as a link: an `http:`/`https:` URL without spaces, quotes or angle brackets. */
export function isHttpUrl(url: unknown, charsMax = DEFAULT_CARD_LIMITS.textCharsMax): url is string {
  return typeof url === 'string' && url.length <= charsMax && HTTP_URL.test(url);
}

/** Whether `id` is a node id: 1..`idBytesMax` bytes of UTF-8, no control characters. */
export function isNodeId(id: unknown, idBytesMax = DEFAULT_CARD_LIMITS.idBytesMax): id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > idBytesMax || CONTROL.test(id)) return false;
  return encoder.encode(id).byteLength <= idBytesMax;
}

const fail = (code: string, message: string): { ok: false; error: { code: string; message: string } } => ({ ok: false, error: { code, message } });

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function ids(v: unknown, limits: CardLimits): v is string[] {
  return Array.isArray(v) && v.length <= limits.peersMax && v.every((x) => isNodeId(x, limits.idBytesMax));
}

/** Check an untrusted value as a card sent by `from` (when given); the result holds a fresh, exact copy. */
export function parseCard(value: unknown, from?: string, limits: CardLimits = DEFAULT_CARD_LIMITS): Result<StatusCard> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(StatusErrorCode.malformed, 'a card is an object');
  const c = value as Record<string, unknown>;
  if (c.v !== CARD_VERSION) return fail(StatusErrorCode.badCard, `card version ${String(c.v)} is not ${CARD_VERSION}`);
  if (!isNodeId(c.id, limits.idBytesMax)) return fail(StatusErrorCode.badCard, 'card id is not a node id');
  if (from !== undefined && c.id !== from) return fail(StatusErrorCode.idMismatch, 'card id is not the peer that sent it');
  if (typeof c.cluster !== 'string' || c.cluster.length > limits.textCharsMax) return fail(StatusErrorCode.badCard, 'card cluster is not a short string');
  if (typeof c.health !== 'string' || !HEALTH.has(c.health)) return fail(StatusErrorCode.badCard, 'card health is not ok, degraded or failing');
  if (!Array.isArray(c.reasons) || c.reasons.length > limits.reasonsMax || !c.reasons.every((r) => typeof r === 'string' && REASON.test(r))) {
    return fail(StatusErrorCode.badCard, 'card reasons are not short codes');
  }
  for (const k of ['active', 'eager', 'lazy'] as const) if (!ids(c[k], limits)) return fail(StatusErrorCode.badCard, `card ${k} is not a bounded list of node ids`);
  for (const k of ['uptimeMs', 'passiveCount', 'maps', 'keys', 'tombstones', 'antiEntropyRounds', 'rejected'] as const) {
    if (!count(c[k])) return fail(StatusErrorCode.badCard, `card ${k} is not a non-negative integer`);
  }
  if (c.http !== undefined && !isHttpUrl(c.http, limits.textCharsMax)) return fail(StatusErrorCode.badCard, 'card http is not an http(s) URL');
  const card: StatusCard = {
    v: CARD_VERSION,
    id: c.id,
    cluster: c.cluster,
    health: c.health as Health,
    reasons: [...(c.reasons as string[])],
    uptimeMs: c.uptimeMs as number,
    active: [...(c.active as string[])],
    passiveCount: c.passiveCount as number,
    eager: [...(c.eager as string[])],
    lazy: [...(c.lazy as string[])],
    maps: c.maps as number,
    keys: c.keys as number,
    tombstones: c.tombstones as number,
    antiEntropyRounds: c.antiEntropyRounds as number,
    rejected: c.rejected as number,
  };
  if (c.http !== undefined) card.http = c.http;
  return { ok: true, value: card };
}

/** Check an untrusted value as a status message gossiped by `from`. */
export function parseStatusMessage(value: unknown, from: string, limits: CardLimits = DEFAULT_CARD_LIMITS): Result<StatusMessage> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(StatusErrorCode.malformed, 'a status message is an object');
  const m = value as Record<string, unknown>;
  if (m.type === 'ask') return Object.keys(m).length === 1 ? { ok: true, value: { type: 'ask' } } : fail(StatusErrorCode.malformed, 'ask carries nothing');
  if (m.type === 'card') {
    if (Object.keys(m).length !== 2) return fail(StatusErrorCode.malformed, 'card message carries exactly a card');
    const card = parseCard(m.card, from, limits);
    return card.ok ? { ok: true, value: { type: 'card', card: card.value } } : card;
  }
  return fail(StatusErrorCode.malformed, 'unknown status message type');
}
