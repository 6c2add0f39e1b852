/**
 * @rumor/testkit — a deterministic network simulator (virtual time, seeded faults, a simulated carrier), the
 * carrier acceptance suite, invariant checkers, and a property-based convergence kit for replica callbacks.
 */
export type { NodeId, SendResult, LinkDownReason, Envelope, CarrierEvents, Carrier, Timers, Random } from './ports.js';
export { createRandom, type SeededRandom } from './random.js';
export { latency, constantLatency, uniformLatency, exponentialLatency, type LatencyModel } from './latency.js';
export { defaultLinkFaults, type LinkFaults } from './faults.js';
export {
  createSimulation,
  type Simulation,
  type SimulationInit,
  type SimNode,
  type SimStats,
  type RunOptions,
  type RunResult,
  type CrashOptions,
  type PartitionHandle,
  type MessageCodec,
  type MessageMode,
} from './simulation.js';
export { stableStringify } from './canonical.js';
export { simulationSeed, replayCommand, currentTestFile, withSeed } from './replay.js';
export {
  checkConverged,
  checkOverlay,
  createDeliveryRecorder,
  type CheckResult,
  type CheckedNode,
  type OverlayCheck,
  type DeliveryRecorder,
} from './checkers.js';
export {
  runCarrierTests,
  simulatedCarrierFactory,
  type CarrierTestHarness,
  type CarrierTestFactory,
} from './carrier-suite.js';
export { TestkitError, TestkitErrorCode } from './errors.js';
export { stateReplica, type KitReplica, type ReplicaFactory, type ReplicaContext, type StateModel } from './kit/replica.js';
export {
  resolveDissemination,
  type Dissemination,
  type DisseminationContext,
  type DisseminationNode,
  type StackChoice,
} from './kit/dissemination.js';
export { createDirectDissemination, type DirectDisseminationInit } from './kit/direct.js';
export { scenarioArbitrary, type Scenario, type Step, type FaultKind, type ScenarioShape } from './kit/scenario.js';
export { runScenario, kitNodeId, type RunScenarioOptions, type ScenarioOutcome } from './kit/run-scenario.js';
export { describeStep, formatReport } from './kit/report.js';
export {
  checkConvergence,
  assertConvergence,
  convergenceProperty,
  type ConvergenceInit,
  type ConvergenceResult,
  type ConvergenceCounterexample,
} from './kit/convergence.js';
