/** @rumor/testkit — work in progress. */
export {};
