/** Shared helpers for benchmarks. */
export {};
