/**
 * @rumor/membership — HyParView (Leitão, Pereira, Rodrigues, DSN 2007) as a pure state machine: an active view of
 * symmetric links for broadcast, a passive view of backups, reactive repair and cyclic shuffles. It reports
 * `peerUp` / `peerDown` to the layers above and runs over any carrier through the ports in `ports.ts`.
 */
export { createHyParView } from './hyparview.js';
export type {
  HyParView,
  HyParViewComponents,
  HyParViewEvents,
  HyParViewState,
  HyParViewStats,
} from './hyparview.js';
export { DEFAULT_HYPARVIEW_INIT, resolveOptions } from './options.js';
export type { HyParViewInit, HyParViewOptions } from './options.js';
export { MESSAGE_TYPES, MembershipErrorCode, parseMessage, messageBody } from './messages.js';
export type {
  DisconnectMessage,
  DisconnectReason,
  ForwardJoinMessage,
  JoinMessage,
  MembershipError,
  MembershipMessage,
  MembershipMessageType,
  MessageLimits,
  NeighborMessage,
  NeighborPriority,
  NeighborReplyMessage,
  NodeEntry,
  Result,
  ShuffleMessage,
  ShuffleReplyMessage,
} from './messages.js';
export { MembershipAssertionError } from './assert.js';
export type { LinkDownReason, Logger, NodeId, PeerDownReason, Random, SendResult, Timers } from './ports.js';
