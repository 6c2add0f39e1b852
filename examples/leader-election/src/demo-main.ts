// `npm run demo`: prints the user journey of the leader-election example.
import { runDemo } from './demo.js';

for (const line of runDemo(Number(process.env.SEED ?? 1)).log) console.log(line);
