/** @rumor/membership — work in progress. */
export {};
