#!/usr/bin/env node
/**
 * `rumor-maelstrom`: a Maelstrom node on stdin/stdout (until `rumor maelstrom` in @rumor/node calls the same
 * `runMaelstromNode`). Flags: `--workload auto|broadcast|g-set|g-counter|pn-counter`, `--seed N`,
 * `--config '<json MaelstromNodeInit>'` (layer knobs; also read from `RUMOR_MAELSTROM_CONFIG`), `--log warn|debug|silent`.
 */
import { parseNodeArgs } from './args.js';
import { runMaelstromNode } from './run.js';

const parsed = parseNodeArgs(process.argv.slice(2), process.env.RUMOR_MAELSTROM_CONFIG);
if (!parsed.ok) {
  process.stderr.write(`rumor-maelstrom: ${parsed.error}\n`);
  process.exit(2);
}
// A closed stdout (Maelstrom gone) must not crash the node with EPIPE while it says goodbye.
process.stdout.on('error', () => {});
await runMaelstromNode({ ...parsed.value, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
process.exit(0);
