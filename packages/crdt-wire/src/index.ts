/** @rumor/crdt-wire — work in progress. */
export {};
