/**
 * @rumor/status — what an operator looks at (issue 10): the live status page of a node with the cluster overlay
 * graph (asked through the cluster itself, by a gossiped status instance), Prometheus metrics of every layer on a
 * registry of the node's own, and structured logs that never carry secrets. See docs/status.md.
 */
export { createStatusService } from './service.js';
export type { StatusService, StatusServiceInit, StatusServiceComponents, RouteTarget, NodeReport, ClusterReport } from './service.js';
export type {
  StatusSource,
  StatusSnapshot,
  Counts,
  CarrierStatsLike,
  MembershipStatsLike,
  BroadcastStatsLike,
  ReplicaStatsLike,
  ReplicaInstanceStatsLike,
  MapStatusLike,
  WalStatsLike,
} from './source.js';
export { createClusterProbe, STATUS_INSTANCE } from './cluster-probe.js';
export type { ClusterProbe, ClusterProbeInit, ClusterProbeComponents, ClusterProbeStats, ClusterView, ClusterMember, PeerEvent } from './cluster-probe.js';
export { parseCard, parseStatusMessage, isNodeId, isHttpUrl, StatusErrorCode, CARD_VERSION, DEFAULT_CARD_LIMITS } from './card.js';
export type { StatusCard, StatusMessage, Health, CardLimits } from './card.js';
export { createHealthTracker, cardOf } from './health.js';
export type { HealthInit, HealthReport, HealthTracker } from './health.js';
export { graphOf, clusterGraph } from './graph.js';
export type { GraphNode, GraphEdge, EdgeKind, NodeState } from './graph.js';
export { layoutGraph } from './layout.js';
export type { Point, LayoutInit } from './layout.js';
export { createMetrics } from './metrics.js';
export type { NodeMetrics, MetricsInit, SyncingStorage } from './metrics.js';
export { createLogger, isSecretKey, REDACTED } from './logger.js';
export type { Logger, LoggerInit, LoggerComponents, LogLevel, LogFields } from './logger.js';
export { PAGE_CSP } from './page.js';
