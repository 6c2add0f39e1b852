/**
 * @rumor/maelstrom — Maelstrom mode (jepsen-io/maelstrom): a Rumor node that speaks Maelstrom's newline-delimited
 * JSON on stdin/stdout, runs HyParView, Plumtree and the replica driver over a carrier that travels inside
 * Maelstrom's message bodies, and serves the `broadcast`, `g-set`, `g-counter` and `pn-counter` workloads on CRDT
 * replica instances. See docs/maelstrom.md.
 */
export { runMaelstromNode, createRealTimers, createStreamLogger, createLineSplitter } from './run.js';
export type { RunMaelstromNodeOptions } from './run.js';
export { createMaelstromNode, MAELSTROM_NODE_DEFAULTS } from './node.js';
export type { MaelstromNode, MaelstromNodeInit, MaelstromNodeComponents, MaelstromNodeStats } from './node.js';
export { parseNodeArgs } from './args.js';
export type { NodeArgs } from './args.js';
export { createMaelstromCarrier, MAELSTROM_CARRIER_DEFAULTS, MaelstromCarrierError } from './carrier.js';
export type { MaelstromCarrier, MaelstromCarrierInit, MaelstromCarrierComponents, MaelstromCarrierStats } from './carrier.js';
export { LinkType, isLinkType, parseLinkBody } from './link-messages.js';
export type { LinkBody } from './link-messages.js';
export { ErrorCode, DEFAULT_PROTOCOL_LIMITS, parseLine, errorBody, formatLine, isMsgId } from './protocol.js';
export type { ErrorCodeValue, MaelstromBody, MaelstromMessage, ProtocolLimits, ParsedLine, LineError } from './protocol.js';
export { createWorkloads, WORKLOADS_DEFAULTS } from './workloads.js';
export type { WorkloadName, WorkloadMode, WorkloadsInit, WorkloadsComponents, WorkloadReply, Workloads, WorkloadsStats } from './workloads.js';
export { createGSet, validateValues, isJsonValue, DEFAULT_GSET_LIMITS } from './gset.js';
export type { GSet, GSetLimits } from './gset.js';
export { createPnCounter, validateEntries, DEFAULT_COUNTER_LIMITS } from './pn-counter.js';
export type { PnCounter, CounterEntry, CounterLimits } from './pn-counter.js';
export { createSeededRandom, hashString } from './random.js';
