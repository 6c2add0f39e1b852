/**
 * The fault settings in force during a run (docs/simulation.md, "Faults"): a global `LinkFaults`, per directed
 * link overrides on top of it, and the partitions. Answers the two questions the network asks — what are the faults
 * of the link from → to, and is that link cut — and counts changes in `version` so that endpoints can cache their
 * link's faults and notice when the settings moved. Every change calls `onChange` (the connections re-check their
 * cuts and failure detectors).
 */
import { checkLinkFaults, defaultLinkFaults, type LinkFaults } from './faults.js';
import type { LatencyModel } from './latency.js';
import type { NodeState } from './network-state.js';

interface Partition {
  side: Set<NodeState>;
  other: Set<NodeState> | null;
  oneWay: boolean;
}

/** Global faults, link overrides and partitions. */
export class FaultSettings {
  global: LinkFaults;
  /** Bumped at every change: a cached `LinkFaults` is current while its version matches. */
  version = 0;
  /** True when any cut (partition or blocked link) exists: the delivery path checks cuts only then. */
  cuts = false;
  private readonly overrides = new Map<NodeState, Map<NodeState, Partial<LinkFaults>>>();
  private partitions: Partition[] = [];

  constructor(
    latency: LatencyModel | undefined,
    faults: Partial<LinkFaults> | undefined,
    private readonly onChange: () => void,
  ) {
    this.global = { ...defaultLinkFaults(), ...(latency ? { latency } : {}), ...faults };
    checkLinkFaults(this.global);
  }

  /** The faults of the directed link from → to. */
  linkFaults(from: NodeState, to: NodeState): LinkFaults {
    const o = this.overrides.get(from)?.get(to);
    return o === undefined ? this.global : { ...this.global, ...o };
  }

  /** Whether messages from → to are cut (a blocked link or a partition). */
  isCut(from: NodeState, to: NodeState): boolean {
    if (this.linkFaults(from, to).blocked) return true;
    for (const p of this.partitions) {
      if (p.side.has(from) && (p.other === null ? !p.side.has(to) : p.other.has(to))) return true;
      if (!p.oneWay && p.side.has(to) && (p.other === null ? !p.side.has(from) : p.other.has(from))) return true;
    }
    return false;
  }

  setGlobal(faults: Partial<LinkFaults>): void {
    checkLinkFaults(faults);
    this.global = { ...this.global, ...faults };
    this.changed();
  }

  setLink(a: NodeState, b: NodeState, faults: Partial<LinkFaults>, both: boolean): void {
    checkLinkFaults(faults);
    const put = (x: NodeState, y: NodeState) => {
      let m = this.overrides.get(x);
      if (!m) this.overrides.set(x, (m = new Map()));
      m.set(y, { ...m.get(y), ...faults });
    };
    put(a, b);
    if (both) put(b, a);
    this.changed();
  }

  clearLink(a: NodeState, b: NodeState, both: boolean): void {
    this.overrides.get(a)?.delete(b);
    if (both) this.overrides.get(b)?.delete(a);
    this.changed();
  }

  /** Back to the defaults (keeping the global latency) and no override; partitions stay. */
  reset(): void {
    this.global = { ...defaultLinkFaults(), latency: this.global.latency };
    this.overrides.clear();
    this.changed();
  }

  /** Cut `side` from `other` (null: from everybody else); returns the function that heals this cut alone. */
  partition(side: Set<NodeState>, other: Set<NodeState> | null, oneWay: boolean): () => void {
    const p: Partition = { side, other, oneWay };
    this.partitions.push(p);
    this.changed();
    return () => {
      const i = this.partitions.indexOf(p);
      if (i >= 0) {
        this.partitions.splice(i, 1);
        this.changed();
      }
    };
  }

  /** Remove every partition and every `blocked` setting. */
  heal(): void {
    this.partitions = [];
    if (this.global.blocked) this.global = { ...this.global, blocked: false };
    for (const m of this.overrides.values()) for (const o of m.values()) delete o.blocked;
    this.changed();
  }

  private changed(): void {
    this.version++;
    let anyBlocked = this.global.blocked;
    for (const m of this.overrides.values()) for (const o of m.values()) if (o.blocked) anyBlocked = true;
    this.cuts = anyBlocked || this.partitions.length > 0;
    this.onChange();
  }
}
