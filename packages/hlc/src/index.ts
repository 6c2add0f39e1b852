/** @rumor/hlc — work in progress. */
export {};
