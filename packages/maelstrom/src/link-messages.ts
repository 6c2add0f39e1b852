/**
 * The Maelstrom carrier's own message bodies (what travels between two Rumor nodes inside Maelstrom's `body`):
 *
 * - `rumor_hello {l}` — the sender dials link `l` (its own dial counter);
 * - `rumor_hello_ok {l, x?}` — the receiver of a hello accepts link `l`; `x` names the sender's own dial it
 *   abandoned in favour of this one (simultaneous open), so a late copy of that hello is recognised as stale;
 * - `rumor {l, o, s, f}` — one frame: crdt-wire envelopes concatenated (a msgpack stream), base64;
 * - `rumor_ping {l, o, s}` — keepalive on an idle link;
 * - `rumor_close {l, o, s}` — orderly close after everything sent before it;
 * - `rumor_reset {l, o}` — "I have no such link": the receiver drops it as failed (TCP's RST).
 *
 * A link is named by its dialler and the dialler's counter: `o` is 1 when the *sender* dialled the link. `s`
 * numbers the sequenced messages of one direction of one link from 0, so the receiver restores the order
 * Maelstrom's network may shuffle (uniform or exponential latency) and notices loss (a partition drops messages).
 *
 * Decoded, still untrusted: `parseLinkBody` checks every field's type and range and never throws.
 */

/** Body types of the carrier, by name. */
export const LinkType = {
  hello: 'rumor_hello',
  helloOk: 'rumor_hello_ok',
  frame: 'rumor',
  ping: 'rumor_ping',
  close: 'rumor_close',
  reset: 'rumor_reset',
} as const;

const TYPES: ReadonlySet<string> = new Set(Object.values(LinkType));

/** Whether a body `type` belongs to the carrier (and is routed to it rather than to the workloads). */
export function isLinkType(type: string): boolean {
  return TYPES.has(type);
}

/** A parsed carrier body. */
export type LinkBody =
  | { type: typeof LinkType.hello; l: number }
  | { type: typeof LinkType.helloOk; l: number; x: number | undefined }
  | { type: typeof LinkType.frame; l: number; o: boolean; s: number; f: string }
  | { type: typeof LinkType.ping; l: number; o: boolean; s: number }
  | { type: typeof LinkType.close; l: number; o: boolean; s: number }
  | { type: typeof LinkType.reset; l: number; o: boolean };

const isCounter = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isFlag = (v: unknown): v is 0 | 1 => v === 0 || v === 1;

/** Shape-check a carrier body; `base64CharsMax` bounds a frame's text before it is decoded. */
export function parseLinkBody(body: Record<string, unknown>, base64CharsMax: number): LinkBody | string {
  const { type, l, o, s } = body;
  if (!isCounter(l)) return 'l must be a non-negative integer';
  switch (type) {
    case LinkType.hello:
      return { type, l };
    case LinkType.helloOk: {
      const x = body.x;
      if (x !== undefined && !isCounter(x)) return 'x must be a non-negative integer';
      return { type, l, x };
    }
    case LinkType.reset:
      if (!isFlag(o)) return 'o must be 0 or 1';
      return { type, l, o: o === 1 };
    case LinkType.frame: {
      if (!isFlag(o) || !isCounter(s)) return 'o must be 0 or 1 and s a non-negative integer';
      const f = body.f;
      if (typeof f !== 'string' || f.length === 0 || f.length > base64CharsMax) return `f must be base64 of 1..${base64CharsMax} characters`;
      return { type, l, o: o === 1, s, f };
    }
    case LinkType.ping:
    case LinkType.close:
      if (!isFlag(o) || !isCounter(s)) return 'o must be 0 or 1 and s a non-negative integer';
      return { type, l, o: o === 1, s };
    default:
      return `unknown carrier body type`;
  }
}
