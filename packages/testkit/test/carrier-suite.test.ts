// The carrier acceptance suite against the simulated carrier, with and without latency noise.
import { runCarrierTests, simulatedCarrierFactory, exponentialLatency } from '../src/index.js';

runCarrierTests('simulated carrier', simulatedCarrierFactory());
runCarrierTests('simulated carrier, long-tailed latency, another seed', simulatedCarrierFactory({ seed: 99, latency: exponentialLatency(30, 1) }));
