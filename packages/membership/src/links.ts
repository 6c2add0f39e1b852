/**
 * The carrier connections membership knows about, and the dials it has in flight.
 *
 * HyParView assumes TCP-like links (paper §4.1: a broken connection is the failure detector), and also opens
 * short-lived ones: to a passive candidate it asks to become a neighbour, to a node that ended a forward-join walk,
 * to a shuffle's origin for the reply. The carrier reports links by peer but dials by address, and "dialling a
 * connected peer is a no-op that re-emits nothing" (docs/architecture.md), so this table keeps, per address, the
 * intents waiting for a link, runs them at once when a link to that address already exists, and times them out
 * when the carrier never answers. Guarantees: at most `pendingMax` dials in flight; every queued intent is handed
 * back exactly once (link up, connect failed, or timeout).
 */
import type { NodeId, Timers } from './ports.js';

/** What the table knows about one open link. */
export interface LinkInfo {
  address: string;
  lastActivity: number;
}

/** Outcome of asking for a link to an address. */
export type DialOutcome = { kind: 'linked'; peer: NodeId } | { kind: 'queued' } | { kind: 'refused' };

/** The link table; `I` is the caller's intent type. */
export interface Links<I> {
  readonly size: number;
  readonly pendingDials: number;
  has(peer: NodeId): boolean;
  get(peer: NodeId): LinkInfo | undefined;
  peers(): NodeId[];
  /** Whether a dial to `address` is in flight. */
  dialling(address: string): boolean;
  /** Record a link; returns the intents that were waiting for this address. */
  up(peer: NodeId, address: string, now: number): I[];
  /** Forget a link; returns what was known about it. */
  down(peer: NodeId): LinkInfo | undefined;
  /** Note traffic on a link (keeps it from being reaped as idle). */
  touch(peer: NodeId, now: number): void;
  /** Ask for a link to `address` on behalf of `intent`. */
  dial(address: string, intent: I): DialOutcome;
  /** A dial failed: returns its intents. */
  failed(address: string): I[];
  /** Links idle since before `now − idleMs` for which `needed` is false. */
  idle(now: number, idleMs: number, needed: (peer: NodeId) => boolean): NodeId[];
  /** Drop every pending dial (their timeouts are cancelled) and every link record. */
  clear(): void;
}

/** What the link table needs from its owner. */
export interface LinksComponents<I> {
  connect(address: string): void;
  timers: Timers;
  timeoutMs: number;
  pendingMax: number;
  /** A dial got neither `up` nor `connectFailed` within `timeoutMs`. */
  onTimeout(address: string, intents: I[]): void;
}

interface PendingDial<I> {
  intents: I[];
  cancel: () => void;
}

/** Create an empty link table. */
export function createLinks<I>(c: LinksComponents<I>): Links<I> {
  const links = new Map<NodeId, LinkInfo>();
  const byAddress = new Map<string, NodeId>();
  const pending = new Map<string, PendingDial<I>>();

  function take(address: string): I[] {
    const p = pending.get(address);
    if (!p) return [];
    pending.delete(address);
    p.cancel();
    return p.intents;
  }

  return {
    get size() {
      return links.size;
    },
    get pendingDials() {
      return pending.size;
    },
    has: (peer) => links.has(peer),
    get: (peer) => links.get(peer),
    peers: () => [...links.keys()],
    dialling: (address) => pending.has(address),
    up(peer, address, now) {
      const old = links.get(peer);
      if (old && byAddress.get(old.address) === peer) byAddress.delete(old.address);
      links.set(peer, { address, lastActivity: now });
      byAddress.set(address, peer);
      return take(address);
    },
    down(peer) {
      const info = links.get(peer);
      if (!info) return undefined;
      links.delete(peer);
      if (byAddress.get(info.address) === peer) byAddress.delete(info.address);
      return info;
    },
    touch(peer, now) {
      const info = links.get(peer);
      if (info) info.lastActivity = now;
    },
    dial(address, intent) {
      const peer = byAddress.get(address);
      if (peer !== undefined) return { kind: 'linked', peer };
      const p = pending.get(address);
      if (p) {
        p.intents.push(intent);
        return { kind: 'queued' };
      }
      if (pending.size >= c.pendingMax) return { kind: 'refused' };
      // Record before connecting: a carrier may answer synchronously.
      const entry: PendingDial<I> = { intents: [intent], cancel: () => {} };
      pending.set(address, entry);
      entry.cancel = c.timers.setTimer(c.timeoutMs, () => {
        if (pending.get(address) !== entry) return;
        pending.delete(address);
        c.onTimeout(address, entry.intents);
      });
      c.connect(address);
      return { kind: 'queued' };
    },
    failed: (address) => take(address),
    idle(now, idleMs, needed) {
      const out: NodeId[] = [];
      for (const [peer, info] of links) if (now - info.lastActivity > idleMs && !needed(peer)) out.push(peer);
      return out;
    },
    clear() {
      for (const p of pending.values()) p.cancel();
      pending.clear();
      links.clear();
      byAddress.clear();
    },
  };
}
