/**
 * Programmatic API of the local stack, for tests and benchmarks.
 *
 * - startStack(options?)   the same stack as `npm start`, in-process; returns { env, gateway, stop() }.
 * - startGateway(options)  an extra functions gateway (own port, config.toml, timeouts) for tests.
 * - readStackEnv()         the running stack's `.stack/env`.
 * - isStackRunning()       whether a stack runs for this checkout; stackStatus() adds its pid and URL.
 * - mintUserJwt(options)   an ES256 user session JWT signed with the stack's key (STACK_JWT_PRIVATE_JWK).
 */
import { readDotenvFile } from "./env_file.ts";
import { stackDefaults } from "./options.ts";
import { envFilePath, type StackEnv } from "./stack.ts";
import { type RunningInfo, runningStack } from "./stack_state.ts";

export { startStack } from "./stack.ts";
export type { RunningStack, StackEnv } from "./stack.ts";
export { startGateway } from "./gateway.ts";
export type { RunningGateway } from "./gateway.ts";
export type { PoolStats } from "./worker_pool.ts";
export type { GatewayStats, HandlerlessReason } from "./gateway.ts";
export { mintUserJwt } from "./keys.ts";
export type { StackKeys, UserJwtOptions } from "./keys.ts";
export { gatewayDefaults, stackDefaults } from "./options.ts";
export type { GatewayOptions, StackOptions } from "./options.ts";

/** Reads `<stackDir>/env` (default `.stack/env`); throws with a hint when no stack has written it. */
export async function readStackEnv(stackDir = stackDefaults.stackDir): Promise<StackEnv> {
  const path = envFilePath(stackDir);
  let vars: Record<string, string>;
  try {
    vars = await readDotenvFile(path);
  } catch {
    throw new Error(`${path} does not exist: start the stack with \`npm start\``);
  }
  return vars as unknown as StackEnv;
}

export async function isStackRunning(stackDir = stackDefaults.stackDir): Promise<boolean> {
  return (await runningStack(stackDir)).running;
}

/** Whether a stack runs for this checkout, with its pid and gateway URL when it does. */
export function stackStatus(stackDir = stackDefaults.stackDir): Promise<RunningInfo> {
  return runningStack(stackDir);
}
