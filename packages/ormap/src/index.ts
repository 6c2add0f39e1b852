/** @rumor/ormap — work in progress. */
export {};
