/**
 * @rumor/broadcast — Plumtree epidemic broadcast trees (Leitão, Pereira, Rodrigues, SRDS 2007) as a pure state
 * machine driven through ports: many tags (replica instance names) share one bus, one dedup set and one tree;
 * delivery is exactly once per node per message. See docs/broadcast.md.
 */
export { createPlumtree } from './plumtree.js';
export type { Plumtree, PlumtreeComponents, DeliveryMeta, GraftPayload } from './plumtree.js';
export { PLUMTREE_DEFAULTS } from './options.js';
export type { PlumtreeInit, PlumtreeOptions } from './options.js';
export type { PlumtreeStats, TypeCounts } from './stats.js';
export { MessageType, decodeMessage } from './messages.js';
export type { PlumtreeMessage, GossipBody, IHaveBody, GraftBody, PruneBody, MessageLimits } from './messages.js';
export { formatMessageId, parseMessageId } from './message-id.js';
export type { MessageId } from './message-id.js';
export { BroadcastErrorCode, BROADCAST_ERROR_CODES, RumorBroadcastError } from './errors.js';
export type { BroadcastError, Result } from './errors.js';
export type { NodeId, SendResult, PeerDownReason, Timers, Random, Logger } from './ports.js';
