/**
 * The testkit's carrier acceptance suite over real sockets on 127.0.0.1, port 0 — the same clauses the simulated
 * carrier passes (design §2). Every carrier a harness opens is closed in `dispose`.
 */
import { runCarrierTests } from '@rumor/testkit';
import { createWsCarrier } from '@rumor/carrier-ws';
import { deadPort, FAST } from './helpers.js';

runCarrierTests('carrier-ws (acceptance suite)', async (count) => {
  const carriers = Array.from({ length: count }, (_, i) => createWsCarrier({ id: `ws-${i}`, secret: 'acceptance-secret', ...FAST }));
  await Promise.all(carriers.map((c) => c.start()));
  return {
    carriers,
    advance: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    deadAddress: `ws://127.0.0.1:${await deadPort()}`,
    dispose: async () => {
      await Promise.all(carriers.map((c) => c.close()));
    },
  };
});
