/** @rumor/node — work in progress. */
export {};
