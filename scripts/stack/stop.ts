/**
 * `npm run stop`: asks the running stack to shut down (SIGTERM), waits for it, and stops a Postgres that a
 * killed stack left running on this checkout's cluster (`.stack/pg`, or the folder outside the checkout
 * recorded in `.stack/cluster-dir`; its data is kept, see postgres.ts).
 */
import { stackDefaults } from "./options.ts";
import { clusterRunning, locateCluster, stopCluster } from "./postgres.ts";
import { isStackProcess, runningStack } from "./stack_state.ts";

const stackDir = stackDefaults.stackDir;
const timeoutMs = 30_000;

const stack = await runningStack(stackDir);
if (stack.running && stack.pid) {
  console.log(`[stack] stopping the stack (pid ${stack.pid})`);
  Deno.kill(stack.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (await isStackProcess(stack.pid, stack.processStart ?? null)) {
    if (Date.now() > deadline) {
      console.error(`[stack] pid ${stack.pid} still runs after ${timeoutMs / 1000} s: sending SIGKILL`);
      Deno.kill(stack.pid, "SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
} else {
  console.log("[stack] no stack is running");
}
if (await clusterRunning(stackDir)) {
  console.log(`[stack] stopping the Postgres left running on ${(await locateCluster(stackDir)).dataDir}`);
  await stopCluster(stackDir);
}
console.log("[stack] stopped");
