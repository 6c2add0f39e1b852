/** @rumor/map — work in progress. */
export {};
