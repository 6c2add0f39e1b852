/**
 * The replicated state of a leader election, as a join-semilattice (so every replica converges whatever the order,
 * loss or duplication of messages):
 *
 * - `candidates`: per node, its candidacy `{ epoch, leaseUntil }`. Only the node itself writes its entry, bumping
 *   `epoch` at every write, so per node the highest epoch wins (ties: the later lease).
 * - `fence`: the highest fencing token claimed so far, `{ token, holder }`, ordered by token then holder.
 *
 * The leader at time `now` is the smallest node id whose lease is still running: a deterministic function of the
 * converged state, so all replicas agree (up to their clocks' skew near a lease's end). A node that becomes leader
 * claims `fence.token + 1`; a resource that remembers the highest token it accepted rejects a deposed leader.
 */

/** One node's candidacy. */
export interface Candidate {
  epoch: number;
  /** Lease end in the writer's milliseconds; 0 = resigned. */
  leaseUntil: number;
}

/** The highest fencing token claimed, and by whom. */
export interface Fence {
  token: number;
  holder: string;
}

/** The whole state as plain data: the full-sync snapshot, and also the shape of a delta (a partial state). */
export interface ElectionData {
  candidates: Record<string, Candidate>;
  fence: Fence;
}

/** A replica's state. */
export interface ElectionState {
  candidates: Map<string, Candidate>;
  fence: Fence;
}

/** An empty election. */
export function emptyElection(): ElectionState {
  return { candidates: new Map(), fence: { token: 0, holder: '' } };
}

const newer = (a: Candidate, b: Candidate): boolean => a.epoch > b.epoch || (a.epoch === b.epoch && a.leaseUntil > b.leaseUntil);

/** Join one candidacy; true when it changed the state. */
export function joinCandidate(state: ElectionState, node: string, c: Candidate): boolean {
  const mine = state.candidates.get(node);
  if (mine !== undefined && !newer(c, mine)) return false;
  state.candidates.set(node, { epoch: c.epoch, leaseUntil: c.leaseUntil });
  return true;
}

/** Join a fence; true when it raised ours. */
export function joinFence(state: ElectionState, f: Fence): boolean {
  const mine = state.fence;
  if (f.token < mine.token || (f.token === mine.token && f.holder <= mine.holder)) return false;
  state.fence = { token: f.token, holder: f.holder };
  return true;
}

/** Join a delta or a snapshot; true when anything changed. */
export function joinData(state: ElectionState, data: Partial<ElectionData>): boolean {
  let changed = false;
  for (const [node, c] of Object.entries(data.candidates ?? {})) changed = joinCandidate(state, node, c) || changed;
  if (data.fence !== undefined) changed = joinFence(state, data.fence) || changed;
  return changed;
}

/** The state as plain data (sorted, so equal states print equal). */
export function toData(state: ElectionState): ElectionData {
  const candidates = Object.fromEntries([...state.candidates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { candidates, fence: { ...state.fence } };
}

/** The leader at `nowMs`: the smallest node id with a running lease. */
export function leaderAt(state: ElectionState, nowMs: number): string | undefined {
  let best: string | undefined;
  for (const [node, c] of state.candidates) if (c.leaseUntil > nowMs && (best === undefined || node < best)) best = node;
  return best;
}

type Check<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
const bad = <T>(message: string): Check<T> => ({ ok: false, error: { code: 'election.invalid', message } });
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Validate a fence from a peer. */
export function validateFence(v: unknown): Check<Fence> {
  if (!isObject(v) || !isCount(v.token) || typeof v.holder !== 'string' || v.holder.length > 64) return bad('fence must be { token, holder }');
  return { ok: true, value: { token: v.token, holder: v.holder } };
}

/** Validate a delta or snapshot from a peer: bounded, well-typed; anything else is refused (and counted by the driver). */
export function validateData(v: unknown): Check<Partial<ElectionData>> {
  if (!isObject(v)) return bad('election data must be an object');
  const out: Partial<ElectionData> = {};
  if (v.candidates !== undefined) {
    if (!isObject(v.candidates)) return bad('candidates must be an object');
    const entries = Object.entries(v.candidates);
    if (entries.length > 10_000) return bad('too many candidates');
    out.candidates = {};
    for (const [node, c] of entries) {
      if (node.length === 0 || node.length > 64 || !isObject(c) || !isCount(c.epoch) || !isCount(c.leaseUntil)) return bad(`bad candidate ${node}`);
      out.candidates[node] = { epoch: c.epoch, leaseUntil: c.leaseUntil };
    }
  }
  if (v.fence !== undefined) {
    const f = validateFence(v.fence);
    if (!f.ok) return f;
    out.fence = f.value;
  }
  return { ok: true, value: out };
}
