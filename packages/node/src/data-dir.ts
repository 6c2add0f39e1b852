/**
 * The node's data directory: an exclusive lock, the persisted identity and small durable JSON files.
 *
 * Layout (docs/node.md "Data directory"): `LOCK` (pid of the owning process), `node.json` (the node id, written
 * once), `hlc.json` (the clock lease, hlc-lease.ts), `peers.json` (addresses to rejoin through), `maps/<name>/`
 * (each map's log and snapshots, @rumor/map). Keeping the id here is what makes a restarted node the same node: no
 * ghost peer, no new writer in every key's causal context per restart.
 *
 * Writes are atomic and durable: temp file, fsync, rename, fsync of the directory — a crash leaves the old or the
 * new content, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { NodeError, NodeErrorCode } from './errors.js';

/** Node ids are 1..64 bytes of UTF-8 (the carrier's and membership's bound). */
export const NODE_ID_BYTES_MAX = 64;

/** Whether `id` is a valid node id. */
export function validNodeId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  const n = Buffer.byteLength(id, 'utf8');
  return n >= 1 && n <= NODE_ID_BYTES_MAX && !/[\u0000-\u001f]/.test(id);
}

/** Write `data` to `file` atomically and durably (temp + fsync + rename + directory fsync). */
export function writeFileAtomicSync(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read and parse a JSON file; undefined when it does not exist; a NodeError when it is corrupt. */
export function readJsonSync(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NodeError(NodeErrorCode.dataCorrupt, `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NodeError(NodeErrorCode.dataCorrupt, `${file} is not valid JSON; move it away to start afresh`, { cause: error });
  }
}

// Directories locked by this process: a second node on the same directory in one process is refused too.
const lockedHere = new Set<string>();

/** Whether a process with this pid is alive (signal 0 probes without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Create the directory if needed and take its lock. A lock left by a dead process (a crash, SIGKILL) is taken
 * over; one held by a live process is refused with `node.data-dir-locked`. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const abs = path.resolve(dir);
  mkdirSync(abs, { recursive: true });
  const lockFile = path.join(abs, 'LOCK');
  if (lockedHere.has(abs)) throw new NodeError(NodeErrorCode.dataDirLocked, `data directory ${abs} is in use by another node in this process`);
  const owner = Number.parseInt(readOr(lockFile, ''), 10);
  if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new NodeError(NodeErrorCode.dataDirLocked, `data directory ${abs} is in use by process ${owner} (remove ${lockFile} if that is wrong)`);
  }
  writeFileAtomicSync(lockFile, `${process.pid}\n`);
  lockedHere.add(abs);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    lockedHere.delete(abs);
    try {
      if (readOr(lockFile, '').trim() === String(process.pid)) rmSync(lockFile, { force: true });
    } catch {
      // Leaving a stale lock is harmless: the next start sees a dead pid and takes it over.
    }
  };
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * The node id of this data directory: the stored one; or `wanted` (stored now); or a generated `node-<hex>` (stored
 * now). A configured id that differs from the stored one is refused (`node.id-mismatch`): the directory's log holds
 * another node's writes and peers know it under the stored id.
 */
export function loadNodeId(dir: string, wanted: string | undefined): string {
  const file = path.join(dir, 'node.json');
  const stored = readJsonSync(file) as { id?: unknown } | undefined;
  if (stored !== undefined) {
    if (!validNodeId(stored.id)) throw new NodeError(NodeErrorCode.dataCorrupt, `${file} holds no valid node id`);
    if (wanted !== undefined && wanted !== stored.id) {
      throw new NodeError(
        NodeErrorCode.idMismatch,
        `data directory ${dir} belongs to node "${stored.id}", not "${wanted}" (use another --data, or drop --id)`,
      );
    }
    return stored.id;
  }
  const id = wanted ?? `node-${randomBytes(4).toString('hex')}`;
  if (!validNodeId(id)) throw new NodeError(NodeErrorCode.badConfig, `id must be 1..${NODE_ID_BYTES_MAX} bytes of UTF-8 without control characters`);
  writeFileAtomicSync(file, `${JSON.stringify({ id, created: new Date().toISOString() })}\n`);
  return id;
}

/** Write a small JSON file atomically, for state that may be lost (peers.json); errors are returned, not thrown. */
export function writeJsonQuietly(file: string, value: unknown): boolean {
  try {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(value)}\n`);
    renameSync(`${file}.tmp`, file);
    return true;
  } catch {
    return false;
  }
}
