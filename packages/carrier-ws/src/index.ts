/**
 * @rumor/carrier-ws — the WebSocket carrier (design §2–3, issue 7): one authenticated WebSocket per peer pair,
 * frames of msgpack envelopes through crdt-wire's bounded codec, keepalive, bounded dial retries, bounded send
 * queues with backpressure, and connection limits. The only package that imports `ws`.
 */
export type { Carrier, CarrierEvents, Envelope, ErrorInfo, LinkDownReason, Logger, NodeId, Result, SendResult } from './types.js';
export type { WsCarrier, WsCarrierComponents, WsCarrierStats } from './carrier.js';
export { createWsCarrier } from './carrier.js';
export type { WsCarrierInit, NodeKeysInit, TlsInit, KeyInput } from './options.js';
export { CarrierError, CarrierErrorCode, CloseCode } from './errors.js';
