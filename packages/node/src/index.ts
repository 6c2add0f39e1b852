/**
 * @rumor/node — the composition root (design §8): `createNode()` wires the WebSocket carrier, HyParView, Plumtree,
 * the replica driver and the replicated maps over a data directory (persisted id, clock lease, write-ahead logs),
 * and serves the HTTP API; the `rumor` CLI (dist/cli.js) starts nodes, talks to them and runs a local demo.
 */
export { createNode } from './node.js';
export type { RumorNode, NodeEvents, NodeStatus, PeerInfo, PeersReport } from './node.js';
export { resolveNodeInit, INSECURE_DEFAULT_SECRET } from './options.js';
export type { NodeInit, NodeComponents, NodeLogger, HttpInit, CarrierTunables, ResolvedNodeInit } from './options.js';
export type { HlcLeaseInit } from './hlc-lease.js';
export { NodeError, NodeErrorCode, httpStatusOf } from './errors.js';
export type { ErrorInfo } from './errors.js';
export { startHttpApi } from './http/server.js';
export type { HttpApi, HttpNode, HttpComponents } from './http/server.js';
export type { RouteContext, RouteHandler, RouteOptions } from './http/router.js';
export { DEFAULT_MAP } from './http/kv.js';
