/**
 * Bookkeeping of digest anti-entropy exchanges (design §5: "a round between equal replicas costs bytes independent
 * of state size; a divergence of k keys costs O(k log n)").
 *
 * An exchange between an initiator and a responder is a sequence of steps with rounds numbered on the wire: the
 * initiator's `ae-digest` is round 0, the responder answers with round 1, the initiator with round 2, and so on —
 * responders send odd rounds, initiators even ones. That parity tells apart two exchanges the same two peers run
 * in opposite directions with the same session id. Each side checks that a step continues its exchange (the round
 * it expects), bounds the number of exchanges open at once and the rounds per exchange, and forgets an exchange
 * idle for the timeout. The hooks do the comparing; this module only keeps the protocol honest and bounded.
 */
import type { NodeId, Random, Timers } from './ports.js';

/** Which side of an exchange this node is. */
export type AeRole = 'initiator' | 'responder';

/** Tunables of the exchange table. */
export interface AeSessionsInit {
  sessionsMax: number;
  timeoutMs: number;
}

interface Session {
  /** Last round sent or received. */
  round: number;
  cancelTimeout: () => void;
}

/** The table of open digest exchanges of one instance. */
export interface AeSessions {
  /** Open an exchange at `round`; false when `sessionsMax` are open already. */
  open(peer: NodeId, session: number, role: AeRole, round: number): boolean;
  /** Accept a received step of round `round`: true when it continues an open exchange, which then records it. */
  receive(peer: NodeId, session: number, role: AeRole, round: number): boolean;
  /** Record that we sent round `round` of an open exchange (re-arms its idle timeout). */
  sent(peer: NodeId, session: number, role: AeRole, round: number): void;
  /** Close an exchange (it finished). */
  end(peer: NodeId, session: number, role: AeRole): void;
  dropPeer(peer: NodeId): void;
  size(): number;
  close(): void;
}

/** Create an exchange table; `onTimeout` hears about exchanges that went idle. */
export function createAeSessions(init: AeSessionsInit, components: { timers: Timers; onTimeout(peer: NodeId, role: AeRole): void }): AeSessions {
  const byPeer = new Map<NodeId, Map<string, Session>>();
  let count = 0;
  const keyOf = (session: number, role: AeRole): string => `${role}:${session}`;

  function remove(peer: NodeId, key: string): boolean {
    const mine = byPeer.get(peer);
    const s = mine?.get(key);
    if (mine === undefined || s === undefined) return false;
    s.cancelTimeout();
    mine.delete(key);
    if (mine.size === 0) byPeer.delete(peer);
    count--;
    return true;
  }

  function arm(peer: NodeId, key: string, role: AeRole): () => void {
    return components.timers.setTimer(init.timeoutMs, () => {
      if (remove(peer, key)) components.onTimeout(peer, role);
    });
  }

  const expected = (role: AeRole, round: number): boolean => (role === 'initiator' ? round % 2 === 1 : round % 2 === 0);

  return {
    open(peer, session, role, round) {
      const key = keyOf(session, role);
      if (count >= init.sessionsMax) return false;
      remove(peer, key); // a peer reusing a session id restarts that exchange
      let mine = byPeer.get(peer);
      if (mine === undefined) {
        mine = new Map();
        byPeer.set(peer, mine);
      }
      mine.set(key, { round, cancelTimeout: arm(peer, key, role) });
      count++;
      return true;
    },
    receive(peer, session, role, round) {
      const key = keyOf(session, role);
      const s = byPeer.get(peer)?.get(key);
      if (s === undefined || round !== s.round + 1 || !expected(role, round)) return false;
      s.round = round;
      s.cancelTimeout();
      s.cancelTimeout = arm(peer, key, role);
      return true;
    },
    sent(peer, session, role, round) {
      const s = byPeer.get(peer)?.get(keyOf(session, role));
      if (s !== undefined) s.round = round;
    },
    end(peer, session, role) {
      remove(peer, keyOf(session, role));
    },
    dropPeer(peer) {
      for (const key of [...(byPeer.get(peer)?.keys() ?? [])]) remove(peer, key);
    },
    size: () => count,
    close() {
      for (const [peer, mine] of [...byPeer]) for (const key of [...mine.keys()]) remove(peer, key);
    },
  };
}

/** The next anti-entropy delay: `intervalMs` ± `jitter` (a fraction), uniformly. */
export function jitteredDelay(intervalMs: number, jitter: number, random: Random): number {
  return Math.max(1, Math.round(intervalMs * (1 - jitter + 2 * jitter * random.next())));
}

/** Pick one element uniformly, or undefined from an empty list. */
export function pickOne<T>(items: readonly T[], random: Random): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.min(items.length - 1, Math.floor(random.next() * items.length))];
}
