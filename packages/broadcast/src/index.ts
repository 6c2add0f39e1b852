/** @rumor/broadcast — work in progress. */
export {};
