/**
 * @rumor/replica — the callback-driven replica driver (design §5). Work in progress: the callbacks contract is
 * fixed here first so that the testkit's convergence kit and user code can be written against it.
 */
export type {
  NodeId,
  PeerDownReason,
  MaybePromise,
  AntiEntropyHooks,
  AntiEntropyStep,
  ReplicaCallbacks,
} from './callbacks.js';
