/**
 * Connection limits (issue 7: "a flood of sockets cannot take a node down"): open sockets in total, inbound sockets
 * per IP address, and inbound handshakes in progress. Inbound sockets over a limit are refused before the WebSocket
 * upgrade (HTTP 503), so they never cost a handshake; the handshake timeout bounds how long an admitted one can
 * hold its slot. Each admitted socket holds a ticket; releasing it twice is harmless.
 */
import { CarrierErrorCode } from './errors.js';
import type { ErrorInfo } from './types.js';

/** The limits. */
export interface AdmissionInit {
  connectionsMax: number;
  connectionsPerIpMax: number;
  handshakesMax: number;
}

/** An admitted socket's claim on the limits. */
export interface Ticket {
  /** The handshake finished (or failed): free the handshake slot, keep the connection slot. */
  handshakeDone(): void;
  /** The socket closed: free everything it held. */
  release(): void;
}

/** Counts sockets against the limits. */
export interface Admission {
  /** Admit an inbound socket from `ip`, or say which limit refuses it. */
  inbound(ip: string): { ok: true; ticket: Ticket } | { ok: false; error: ErrorInfo };
  /** Admit an outbound dial (only `connectionsMax` applies: the node chose to dial). */
  outbound(): { ok: true; ticket: Ticket } | { ok: false; error: ErrorInfo };
  /** Current counts, for stats. */
  readonly open: number;
  readonly handshaking: number;
}

/** Create the admission counters. */
export function createAdmission(init: AdmissionInit): Admission {
  let open = 0;
  let handshaking = 0;
  const perIp = new Map<string, number>();

  const ticket = (ip: string | undefined, inHandshake: boolean): Ticket => {
    let handshakeHeld = inHandshake;
    let held = true;
    const endHandshake = (): void => {
      if (!handshakeHeld) return;
      handshakeHeld = false;
      handshaking--;
    };
    return {
      handshakeDone: endHandshake,
      release() {
        if (!held) return;
        held = false;
        endHandshake();
        open--;
        if (ip !== undefined) {
          const n = (perIp.get(ip) ?? 1) - 1;
          if (n <= 0) perIp.delete(ip);
          else perIp.set(ip, n);
        }
      },
    };
  };

  return {
    inbound(ip) {
      if (open >= init.connectionsMax) {
        return { ok: false, error: { code: CarrierErrorCode.limitConnections, message: `${open} sockets open, connectionsMax is ${init.connectionsMax}` } };
      }
      const fromIp = perIp.get(ip) ?? 0;
      if (fromIp >= init.connectionsPerIpMax) {
        return { ok: false, error: { code: CarrierErrorCode.limitPerIp, message: `${fromIp} sockets from ${ip}, connectionsPerIpMax is ${init.connectionsPerIpMax}` } };
      }
      if (handshaking >= init.handshakesMax) {
        return { ok: false, error: { code: CarrierErrorCode.limitHandshakes, message: `${handshaking} handshakes in progress, handshakesMax is ${init.handshakesMax}` } };
      }
      open++;
      handshaking++;
      perIp.set(ip, fromIp + 1);
      return { ok: true, ticket: ticket(ip, true) };
    },
    outbound() {
      if (open >= init.connectionsMax) {
        return { ok: false, error: { code: CarrierErrorCode.limitConnections, message: `${open} sockets open, connectionsMax is ${init.connectionsMax}` } };
      }
      open++;
      return { ok: true, ticket: ticket(undefined, false) };
    },
    get open() {
      return open;
    },
    get handshaking() {
      return handshaking;
    },
  };
}
