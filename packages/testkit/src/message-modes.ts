/**
 * How messages cross the simulated network (`SimulationInit.messages`): by reference (the default — the receiver
 * gets the sender's object, so receivers must treat messages as immutable), or copied per message by a structured
 * clone, a JSON round trip or a user codec; the last two count the encoded bytes.
 */
import type { MessageMode } from './simulation-api.js';

/** The copy function of `mode` (null: pass by reference); `countBytes` receives the size of each encoding. */
export function messageCopier(mode: MessageMode, countBytes: (n: number) => void): ((m: unknown) => unknown) | null {
  if (mode === 'reference') return null;
  if (mode === 'clone') return (m) => structuredClone(m);
  if (mode === 'json') {
    return (m) => {
      const s = JSON.stringify(m);
      countBytes(s.length);
      return JSON.parse(s);
    };
  }
  return (m) => {
    const bytes = mode.encode(m);
    countBytes(bytes.length);
    return mode.decode(bytes);
  };
}
