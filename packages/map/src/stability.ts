/**
 * Causal stability for tombstone collection (design §4 "Tombstones"; docs/map.md "Tombstone collection").
 *
 * Each replica R keeps a frontier F_R: writer → hlc, a claim that R durably holds every write (put or delete) of
 * that writer with an hlc at or below it, live or dead. Frontiers only rise, and only on evidence:
 * - R's own writes: F_R[R] = the greatest own dot applied;
 * - after R durably merged a peer P's complete snapshot, or found its state equal to P's by digest, R holds all that
 *   P held, so F_R = max(F_R, F_P).
 * Replicas gossip a table of every frontier they know (replica → frontier, version), in digests and snapshots; a
 * higher version replaces a lower one, so a restarted replica's smaller, honest frontier replaces its old claim.
 * The stable context is the pointwise minimum over this replica and every replica heard from within the silence
 * limit: every dot at or below it is held by all of them, so raising the OR-Map horizon there never kills a write
 * some replica still has to deliver. A replica silent longer than the limit (the TTL backstop) stops holding
 * collection back; one that never reached any table is not waited for (documented in docs/map.md).
 */
import type { NodeId } from '@rumor/ormap';

/** A frontier on the wire: `[writer, hlc]` pairs. */
export type FrontierWire = [writer: string, hlc: number][];

/** The gossiped table: `[replica, version, frontier]` rows. */
export type FrontierTableWire = [replica: string, version: number, frontier: FrontierWire][];

/** Tunables of the stability tracker. */
export interface StabilityInit {
  self: NodeId;
  /** A replica whose entry did not advance for this long is left out of the minimum. */
  silenceMs: number;
  /** Most replicas kept in the table. Default 1 024. */
  replicasMax?: number;
  /** Most writers per frontier. Default 4 096. */
  writersMax?: number;
}

/** Collaborators: a local wall clock (ms) and a version source (packed HLC, strictly increasing). */
export interface StabilityComponents {
  now(): number;
  version(): number;
}

/** The tracker. */
export interface Stability {
  /** Raise this replica's own frontier (evidence: own writes, durable merge of a peer's state). */
  raiseOwn(frontier: ReadonlyMap<string, number> | FrontierWire): void;
  /** This replica's own frontier (a copy). */
  own(): Map<string, number>;
  /** Join a table heard from a peer; false (and nothing changed) when it is malformed. */
  mergeTable(table: unknown): boolean;
  /** The frontier a peer claims for itself in a table it sent, validated; undefined when absent or malformed. */
  claimOf(table: unknown, replica: string): FrontierWire | undefined;
  /** The table to gossip: own row (fresh version) and every row heard. */
  table(): FrontierTableWire;
  /** The stable context: pointwise minimum over self and every replica heard within `silenceMs`. */
  stable(): Map<NodeId, number>;
  /** Replicas in the table, self included. */
  replicas(): number;
}

interface Row {
  version: number;
  frontier: Map<string, number>;
  heardAtMs: number;
}

/** Create a tracker for one map on one replica. */
export function createStability(init: StabilityInit, components: StabilityComponents): Stability {
  const replicasMax = init.replicasMax ?? 1024;
  const writersMax = init.writersMax ?? 4096;
  const own = new Map<string, number>();
  const rows = new Map<string, Row>();

  const isHlc = (t: unknown): t is number => typeof t === 'number' && Number.isSafeInteger(t) && t >= 0;
  const isId = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 64;

  function parseFrontier(raw: unknown): Map<string, number> | undefined {
    if (!Array.isArray(raw) || raw.length > writersMax) return undefined;
    const out = new Map<string, number>();
    for (const pair of raw) {
      if (!Array.isArray(pair) || pair.length !== 2 || !isId(pair[0]) || !isHlc(pair[1])) return undefined;
      out.set(pair[0], Math.max(out.get(pair[0]) ?? 0, pair[1]));
    }
    return out;
  }

  function parseTable(raw: unknown): [string, number, Map<string, number>][] | undefined {
    if (!Array.isArray(raw) || raw.length > replicasMax) return undefined;
    const out: [string, number, Map<string, number>][] = [];
    for (const row of raw) {
      if (!Array.isArray(row) || row.length !== 3 || !isId(row[0]) || !isHlc(row[1])) return undefined;
      const f = parseFrontier(row[2]);
      if (f === undefined) return undefined;
      out.push([row[0], row[1], f]);
    }
    return out;
  }

  const toWire = (m: ReadonlyMap<string, number>): FrontierWire => [...m].map(([w, t]) => [w, t]);

  return {
    raiseOwn(frontier) {
      const pairs = frontier instanceof Map ? frontier.entries() : (frontier as FrontierWire).values();
      for (const [w, t] of pairs) {
        if ((own.get(w) ?? 0) < t && (own.has(w) || own.size < writersMax)) own.set(w, t);
      }
    },
    own: () => new Map(own),
    mergeTable(table) {
      const parsed = parseTable(table);
      if (parsed === undefined) return false;
      const now = components.now();
      for (const [replica, version, frontier] of parsed) {
        if (replica === init.self) continue; // our own row is ours alone to state
        const row = rows.get(replica);
        if (row === undefined) {
          if (rows.size + 1 >= replicasMax) continue;
          rows.set(replica, { version, frontier, heardAtMs: now });
        } else if (version > row.version) {
          row.version = version;
          row.frontier = frontier;
          row.heardAtMs = now;
        }
      }
      return true;
    },
    claimOf(table, replica) {
      const parsed = parseTable(table);
      const row = parsed?.find(([r]) => r === replica);
      return row === undefined ? undefined : toWire(row[2]);
    },
    table() {
      const out: FrontierTableWire = [[init.self, components.version(), toWire(own)]];
      for (const [replica, row] of rows) out.push([replica, row.version, toWire(row.frontier)]);
      return out;
    },
    stable() {
      const now = components.now();
      const result = new Map<NodeId, number>();
      for (const [w, t] of own) result.set(w as NodeId, t);
      for (const row of rows.values()) {
        if (now - row.heardAtMs > init.silenceMs) continue;
        for (const [w, t] of result) {
          const theirs = row.frontier.get(w) ?? 0;
          if (theirs < t) {
            if (theirs === 0) result.delete(w);
            else result.set(w, theirs);
          }
        }
      }
      return result;
    },
    replicas: () => 1 + rows.size,
  };
}
