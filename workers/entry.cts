/**
 * The file piscina's threads load. piscina loads its worker file with require() before
 * import(): an ES module then goes through Node's require(esm), which aborted an explore in CI
 * (Node 20.20: "CreateRequiredModuleFacade … Assertion failed" in the worker). This CommonJS
 * file is what require() loads; each export imports its ES module (the pool's `name` picks it).
 */
export async function expand(task: unknown): Promise<unknown> {
  return (await import("./expand.js")).default(task as never);
}

export async function check(task: unknown): Promise<unknown> {
  return (await import("./check.js")).default(task as never);
}
