/**
 * Peers lost to failure, kept to repair healed partitions (beyond the paper).
 *
 * HyParView never merges two overlays that a long partition split: once each side has refilled its active views,
 * no node has a free slot, and the passive views stop naming the other side within a few shuffles. So a peer whose
 * active link failed, or whose passive entry was dropped after repeated failures, is remembered here for a while
 * (`lostPeerMaxAgeMs`), and each round a node retries one due entry with probability `reconnectProbability`
 * (exponential backoff per entry). A retry that reaches the peer asks it for a high-priority link: after a partition
 * heals, those links stitch the sides together; after a crash-restart, they pull the restarted node back in.
 * Guarantees: bounded (`capacity`, oldest dropped first), never holds self, one entry per id.
 */
import type { NodeId } from './ports.js';
import type { NodeEntry } from './messages.js';

interface LostPeer {
  address: string;
  lostAt: number;
  failures: number;
  retryAt: number;
}

/** The tunables the lost-peer list needs. */
export interface LostPeersConfig {
  self: NodeId;
  capacity: number;
  maxAgeMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}

/** A bounded list of peers lost to failure. */
export interface LostPeers {
  readonly size: number;
  has(id: NodeId): boolean;
  add(entry: NodeEntry, now: number): void;
  remove(id: NodeId): void;
  /** Entries whose backoff has expired, excluding `busy` ids. */
  due(now: number, busy: (id: NodeId) => boolean): NodeEntry[];
  /** A retry failed: back off (the entry stays until it ages out). */
  recordFailure(id: NodeId, now: number): void;
  /** Forget entries lost longer than `maxAgeMs` ago; returns how many. */
  age(now: number): number;
}

/** Create an empty lost-peer list. */
export function createLostPeers(config: LostPeersConfig): LostPeers {
  const byId = new Map<NodeId, LostPeer>(); // insertion order = oldest first

  return {
    get size() {
      return byId.size;
    },
    has: (id) => byId.has(id),
    add(entry, now) {
      if (entry.id === config.self || config.capacity === 0) return;
      byId.delete(entry.id);
      if (byId.size >= config.capacity) byId.delete(byId.keys().next().value!);
      // First retry after one backoff: an immediate retry would mostly meet the same failure.
      byId.set(entry.id, { address: entry.address, lostAt: now, failures: 0, retryAt: now + config.backoffMs });
    },
    remove: (id) => void byId.delete(id),
    due(now, busy) {
      const out: NodeEntry[] = [];
      for (const [id, e] of byId) if (e.retryAt <= now && !busy(id)) out.push({ id, address: e.address });
      return out;
    },
    recordFailure(id, now) {
      const e = byId.get(id);
      if (!e) return;
      e.failures++;
      e.retryAt = now + Math.min(config.backoffMaxMs, config.backoffMs * 2 ** Math.min(e.failures, 30));
    },
    age(now) {
      let dropped = 0;
      for (const [id, e] of byId) {
        if (now - e.lostAt > config.maxAgeMs) {
          byId.delete(id);
          dropped++;
        }
      }
      return dropped;
    },
  };
}
