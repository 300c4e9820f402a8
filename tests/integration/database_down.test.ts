import assert from "node:assert/strict";
import { startGateway } from "../../scripts/stack/mod.ts";
import { freePorts } from "../../scripts/stack/ports.ts";

/**
 * The suite's functions served by their own gateway whose database URL points at a port where nothing
 * listens: callers are told to retry (503), never that their events were accepted.
 */

Deno.test({
  name: "metrics and status answer 503 with Retry-After while the database is unreachable",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const gateway = await startGateway({
      port: 0,
      dbUrl: `postgresql://postgres:postgres@127.0.0.1:${freePorts(1, 56_100)[0]}/postgres`,
      log: () => {},
    });
    try {
      const ingest = await fetch(`${gateway.url}/functions/v1/metrics`, {
        method: "POST",
        headers: { apikey: gateway.keys.secretKey, "content-type": "application/json" },
        body: JSON.stringify({
          events: [{
            occurredAt: new Date().toISOString(),
            system: "edge",
            target: "db-down",
            kind: "request",
          }],
        }),
      });
      assert.equal(ingest.status, 503, await ingest.clone().text());
      assert.equal(ingest.headers.get("retry-after"), "5");
      assert.match((await ingest.json()).error, /retry/);

      const status = await fetch(`${gateway.url}/functions/v1/status`, {
        headers: { apikey: gateway.keys.secretKey },
      });
      assert.equal(status.status, 503);
      await status.body?.cancel();
    } finally {
      await gateway.stop();
    }
  },
});
