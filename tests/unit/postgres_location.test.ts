import assert from "node:assert/strict";
import { clusterPaths, externalClusterDir } from "../../scripts/stack/postgres.ts";

Deno.test("externalClusterDir() is under /var/tmp and named after the checkout's .stack path", () => {
  const dir = externalClusterDir("/root/project/.stack");
  assert.match(dir, /^\/var\/tmp\/supabase-stack-[0-9a-f]{16}$/);
  assert.equal(externalClusterDir("/root/project/.stack"), dir);
});

Deno.test("externalClusterDir() differs between checkouts", () => {
  assert.notEqual(externalClusterDir("/root/a/.stack"), externalClusterDir("/root/b/.stack"));
});

Deno.test("clusterPaths() keeps data, socket and log together in the cluster's folder", () => {
  assert.deepEqual(clusterPaths("/var/tmp/supabase-stack-0123456789abcdef"), {
    clusterDir: "/var/tmp/supabase-stack-0123456789abcdef",
    dataDir: "/var/tmp/supabase-stack-0123456789abcdef/pg",
    socketDir: "/var/tmp/supabase-stack-0123456789abcdef/pg-socket",
    logFile: "/var/tmp/supabase-stack-0123456789abcdef/postgres.log",
    stackConf: "/var/tmp/supabase-stack-0123456789abcdef/pg/stack.conf",
  });
});
