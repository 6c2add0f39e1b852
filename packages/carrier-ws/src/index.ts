/** @rumor/carrier-ws — work in progress. */
export {};
