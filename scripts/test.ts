/**
 * `npm test`: unit tests first (no services), then the integration tests against a stack from
 * leaseStack(). Ends with one summary line, "tests: N passed, N failed".
 */
import { leaseStack } from "./with_stack.ts";

interface SuiteResult {
  passed: number;
  failed: number;
  ok: boolean;
}

const deno = Deno.execPath();

async function runSuite(
  name: string,
  paths: string[],
  env: Record<string, string> = {},
): Promise<SuiteResult> {
  console.log(`\n== ${name} tests`);
  const child = new Deno.Command(deno, {
    args: ["test", "-A", ...paths, ...Deno.args],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const status = await child.status;
  // deno test closes with "ok | 12 passed | 0 failed (3s)" or "FAILED | 10 passed | 2 failed (3s)".
  const summary = [...tail.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
  const passed = summary ? Number(summary[1]) : 0;
  const failed = summary ? Number(summary[2]) : 0;
  return { passed, failed: status.success ? failed : Math.max(failed, 1), ok: status.success };
}

const unit = await runSuite("unit", ["tests/unit/"]);

const lease = await leaseStack();
console.log(`\nIntegration tests use the ${lease.source} at ${lease.env.SUPABASE_URL}`);
let integration: SuiteResult;
try {
  integration = await runSuite("integration", ["tests/integration/"], lease.env);
} finally {
  await lease.release();
}

const passed = unit.passed + integration.passed;
const failed = unit.failed + integration.failed;
console.log(`\ntests: ${passed} passed, ${failed} failed`);
Deno.exit(unit.ok && integration.ok ? 0 : 1);
