/**
 * @rumor/replica — the callback-driven replica driver (design §5): named instances on one broadcast bus, deltas and
 * custom payloads gossiped, full sync pushed on `peer up` and pulled on start, snapshots in bounded chunks,
 * periodic anti-entropy (full-state pull or digest exchange), every payload validated before a callback sees it;
 * and `createStack`, which wires a carrier to membership, broadcast and the driver.
 */
export type {
  NodeId,
  PeerDownReason,
  MaybePromise,
  AntiEntropyHooks,
  AntiEntropyStep,
  ReplicaCallbacks,
} from './callbacks.js';
export type {
  SendResult,
  Timers,
  Random,
  Logger,
  ErrorInfo,
  Result,
  Codec,
  ReplicaEvents,
  CallbackName,
  CallbackErrorEvent,
  InvalidPayloadEvent,
  ReplicaComponents,
} from './ports.js';
export { createReplicaDriver, createWireCodec } from './driver.js';
export type { ReplicaDriver, ReplicaDriverInit, ReplicaDriverStats } from './driver.js';
export type { Replica, ReplicaInit, ReplicaStats, ReplicaValidators, Validator } from './instance.js';
export type { TransferInStats } from './transfer-in.js';
export type { TransferOutStats } from './transfer-out.js';
export { DirectType } from './messages.js';
export type { AeStepKind, TransferKind } from './messages.js';
export { ReplicaError, ReplicaErrorCode } from './errors.js';
export { createDigestHooks, validateDigest, validateNeed } from './digest-hooks.js';
export type { DigestHooksInit, DigestNode, DigestSource, TreeDigest, TreeNeed } from './digest-hooks.js';
export { createStack, STACK_PROTOCOL_VERSION } from './stack.js';
export type { Stack, StackOptions, StackStats } from './stack.js';
export type { Carrier, CarrierEvents, Envelope, LinkDownReason } from './ports.js';
export { createStackDissemination } from './dissemination.js';
export type { StackDissemination, StackDisseminationInit, DisseminationHost, DisseminationHostContext } from './dissemination.js';
