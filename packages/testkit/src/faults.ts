/**
 * Link faults: what can go wrong on one directed link (from → to) of the simulated network. Every field has a
 * default (a healthy LAN-ish link); the simulation holds a global setting and per-link overrides, and both may be
 * changed at any moment of a run — the change applies to messages sent from then on.
 */
import { uniformLatency, type LatencyModel } from './latency.js';

/** The fault settings of one directed link. */
export interface LinkFaults {
  /** One-way delay of each message. Default `uniform(5, 15)` ms. */
  latency: LatencyModel;
  /**
   * Probability that a message is silently lost. Default 0. A real TCP/WebSocket connection never loses a message
   * it keeps open; loss models a lossy application path and is an explicit fault.
   */
  loss: number;
  /** Probability that a message is delivered twice (the copy right behind the original). Default 0. */
  duplicate: number;
  /**
   * Probability that a message leaves per-connection FIFO order: it is held back an extra uniform
   * [0, `reorderDelayMs`) and later messages may overtake it. Default 0: connections are FIFO, like TCP.
   */
  reorder: number;
  /** Extra delay bound for reordered messages. Default 50 ms. */
  reorderDelayMs: number;
  /**
   * The link is cut in this direction (a one-way partition of this one link). Default false. Messages on a cut
   * connection are held (TCP retransmits) and flow again on heal, unless the failure detector closed it first.
   */
  blocked: boolean;
}

/** The defaults of every link. */
export function defaultLinkFaults(): LinkFaults {
  return { latency: uniformLatency(5, 15), loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 50, blocked: false };
}

/** Validates a partial fault setting (probabilities in [0, 1], delays ≥ 0); throws a RangeError on misuse. */
export function checkLinkFaults(f: Partial<LinkFaults>): void {
  for (const key of ['loss', 'duplicate', 'reorder'] as const) {
    const p = f[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${key} must be a probability in [0, 1], got ${p}`);
  }
  if (f.reorderDelayMs !== undefined && !(f.reorderDelayMs >= 0)) {
    throw new RangeError(`reorderDelayMs must be ≥ 0, got ${f.reorderDelayMs}`);
  }
}
