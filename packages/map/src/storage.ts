/**
 * The storage port of a map (design §7): a flat directory of named files with exactly the durability
 * operations a write-ahead log and atomic snapshots need, nothing more.
 *
 * Durability contract every implementation keeps (the WAL's correctness rests on it):
 * - `append` bytes are durable only after a later `sync` of that file resolved;
 * - `create`, `truncate`, `writeAtomic` and `remove` are durable when they resolve (the directory entry too);
 * - `writeAtomic` leaves either the old content or the whole new content, never a mix, at any crash instant;
 * - a crash may keep any prefix of the not-yet-synced appended bytes, possibly with garbage at the end.
 */

/** A directory of files for one map (the file implementation keeps it under the node's data directory). */
export interface MapStorage {
  /** Names of the files present (temp files of unfinished atomic writes excluded). */
  list(): Promise<string[]>;
  /** Whole content of a file, or `undefined` when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Create an empty file (truncating an existing one), durably including its directory entry. */
  create(name: string): Promise<void>;
  /** Append bytes at the end of an existing file; durable only after `sync(name)`. */
  append(name: string, bytes: Uint8Array): Promise<void>;
  /** Make every byte appended to `name` so far durable (fsync / fdatasync). */
  sync(name: string): Promise<void>;
  /** Cut a file to `length` bytes, durably. */
  truncate(name: string, length: number): Promise<void>;
  /** Replace a file's whole content atomically and durably: temp file, fsync, rename, fsync of the directory. */
  writeAtomic(name: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** Delete a file if present, durably. */
  remove(name: string): Promise<void>;
  /** Release open handles. Unsynced appends are not made durable by closing. */
  close(): Promise<void>;
}
