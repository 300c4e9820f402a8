/**
 * Where the stack's Postgres cluster lives (scripts/stack/postgres.ts): in the checkout's `.stack` when the
 * postgres OS user can enter it, else in a folder of its own under /var/tmp, recorded in `.stack/cluster-dir`.
 * Each test creates a real cluster (initdb) for a fresh `.stack` folder, starts it, and stops it again.
 */
import assert from "node:assert/strict";
import { isRoot } from "../../scripts/stack/packages.ts";
import {
  clusterRunning,
  ensureCluster,
  externalClusterDir,
  stopCluster,
} from "../../scripts/stack/postgres.ts";
import { freePorts } from "../../scripts/stack/ports.ts";

async function withCheckout(mode: number, fn: (stackDir: string) => Promise<void>): Promise<void> {
  const checkout = await Deno.makeTempDir({ prefix: "cluster-location-test-" });
  await Deno.chmod(checkout, mode);
  const stackDir = `${checkout}/.stack`;
  try {
    await fn(stackDir);
  } finally {
    await stopCluster(stackDir);
    const recorded = await Deno.readTextFile(`${stackDir}/cluster-dir`).catch(() => "");
    if (recorded.trim()) await Deno.remove(recorded.trim(), { recursive: true });
    await Deno.remove(checkout, { recursive: true });
  }
}

Deno.test("a checkout the postgres OS user can enter keeps its cluster in .stack", async () => {
  await withCheckout(0o755, async (stackDir) => {
    const [port] = freePorts(1, 56_100);
    const paths = await ensureCluster({ stackDir, port, log: () => {} });
    assert.equal(paths.dataDir, `${stackDir}/pg`);
    assert.ok(await clusterRunning(stackDir));
    assert.equal(await Deno.readTextFile(`${stackDir}/cluster-dir`).catch(() => null), null);
  });
});

Deno.test(
  "as root, a checkout the postgres OS user cannot enter keeps its cluster under /var/tmp, recorded in .stack",
  async () => {
    await withCheckout(0o700, async (stackDir) => {
      const [port] = freePorts(1, 56_100);
      const logs: string[] = [];
      const paths = await ensureCluster({ stackDir, port, log: (line) => logs.push(line) });
      assert.ok(await clusterRunning(stackDir));
      if (!isRoot()) {
        // Postgres runs as this user then, who can enter its own checkout.
        assert.equal(paths.dataDir, `${stackDir}/pg`);
        return;
      }
      const expected = externalClusterDir(await Deno.realPath(stackDir));
      assert.equal(paths.clusterDir, expected);
      assert.equal((await Deno.readTextFile(`${stackDir}/cluster-dir`)).trim(), expected);
      assert.equal((await Deno.readTextFile(`${expected}/checkout`)).trim(), stackDir);
      assert.ok(logs.some((line) => line.includes(`the cluster lives in ${expected}`)), logs.join("\n"));
      await stopCluster(stackDir);
      assert.equal(await clusterRunning(stackDir), false);
    });
  },
);
