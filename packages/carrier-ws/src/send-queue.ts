/**
 * The bounded per-peer send queue with coalescing (issue 7: "per-peer send queues bounded, with backpressure").
 *
 * Encoded envelopes wait here until the connection flushes them; a flush concatenates as many as fit into one frame
 * (`envelopesPerFrameMax`, `frameBytesMax`) — crdt-wire's frame format is exactly that concatenation. Bytes and
 * messages count until the socket reports them written to the kernel, so `ws`'s own buffer is inside the bound.
 * After a `backpressure` result, `written` reports a drain once the queue falls to half of both bounds (a low-water
 * mark, so a busy peer does not flap between full and drained on every message).
 */

/** Queue bounds. */
export interface SendQueueInit {
  bytesMax: number;
  messagesMax: number;
  frameBytesMax: number;
  envelopesPerFrameMax: number;
}

/** A frame taken from the queue: its bytes and how many messages it carries. */
export interface QueuedFrame {
  bytes: Uint8Array;
  messages: number;
}

/** One peer's send queue. */
export interface SendQueue {
  /** Queue one encoded envelope, or refuse it when a bound would be exceeded. */
  offer(envelope: Uint8Array): 'accepted' | 'backpressure';
  /** Remove the next frame's worth of envelopes, coalesced; undefined when nothing is pending. */
  take(): QueuedFrame | undefined;
  /** A frame from `take` left the process; true when this is the drain after a `backpressure`. */
  written(frame: QueuedFrame): boolean;
  /** Messages waiting to be framed. */
  readonly pendingMessages: number;
  /** Bytes taken but not yet reported written. */
  readonly inflightBytes: number;
  /** Bytes and messages counted against the bounds. */
  readonly queuedBytes: number;
  readonly queuedMessages: number;
}

/** Create an empty send queue. */
export function createSendQueue(init: SendQueueInit): SendQueue {
  let items: Uint8Array[] = [];
  let head = 0;
  let pendingBytes = 0;
  let inflightBytes = 0;
  let inflightMessages = 0;
  let pressured = false;

  return {
    offer(envelope) {
      const pendingMessages = items.length - head;
      if (
        pendingMessages + inflightMessages + 1 > init.messagesMax ||
        pendingBytes + inflightBytes + envelope.length > init.bytesMax
      ) {
        pressured = true;
        return 'backpressure';
      }
      items.push(envelope);
      pendingBytes += envelope.length;
      return 'accepted';
    },
    take() {
      if (head === items.length) return undefined;
      const first = items[head]!;
      let count = 1;
      let bytes = first.length;
      while (head + count < items.length && count < init.envelopesPerFrameMax) {
        const next = items[head + count]!;
        if (bytes + next.length > init.frameBytesMax) break;
        bytes += next.length;
        count++;
      }
      const frame = count === 1 ? first : Buffer.concat(items.slice(head, head + count), bytes);
      head += count;
      // Compact once the consumed prefix dominates, so the array does not grow without bound under steady load.
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      pendingBytes -= bytes;
      inflightBytes += bytes;
      inflightMessages += count;
      return { bytes: frame, messages: count };
    },
    written(frame) {
      inflightBytes -= frame.bytes.length;
      inflightMessages -= frame.messages;
      if (
        pressured &&
        pendingBytes + inflightBytes <= init.bytesMax / 2 &&
        items.length - head + inflightMessages <= init.messagesMax / 2
      ) {
        pressured = false;
        return true;
      }
      return false;
    },
    get pendingMessages() {
      return items.length - head;
    },
    get inflightBytes() {
      return inflightBytes;
    },
    get queuedBytes() {
      return pendingBytes + inflightBytes;
    },
    get queuedMessages() {
      return items.length - head + inflightMessages;
    },
  };
}
