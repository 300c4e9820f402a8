import assert from "node:assert/strict";
import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { stackEnv, userJwt } from "../support/env.ts";

/** supabase-js as a real client: a server with the secret key, a browser with a publishable key and a session. */

const env = stackEnv();
const clientOptions = { auth: { persistSession: false, autoRefreshToken: false } };

Deno.test("supabase-js functions.invoke with the secret key reads status", async () => {
  const server = createClient(env.url, env.secretKey, clientOptions);
  const { data, error } = await server.functions.invoke("status", { method: "GET" });
  assert.equal(error, null);
  assert.ok(Array.isArray(data.modules));
  assert.equal(typeof data.config.retention.rawEventsDays, "number");
});

Deno.test("supabase-js functions.invoke from a signed-in browser reports the app's own events", async () => {
  const browser = createClient(env.url, env.publishableKey, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${await userJwt(crypto.randomUUID())}` } },
  });
  const { data, error } = await browser.functions.invoke("metrics", {
    body: {
      events: [{
        occurredAt: new Date().toISOString(),
        system: "app",
        target: "supabase-js",
        kind: "request",
      }],
    },
  });
  assert.equal(error, null);
  assert.equal(data.accepted, 1);
});

Deno.test("supabase-js functions.invoke with only the publishable key may not ingest", async () => {
  const anonymous = createClient(env.url, env.publishableKey, clientOptions);
  const { error } = await anonymous.functions.invoke("metrics", {
    body: {
      events: [{
        occurredAt: new Date().toISOString(),
        system: "app",
        target: "supabase-js",
        kind: "request",
      }],
    },
  });
  assert.ok(error instanceof FunctionsHttpError);
  assert.equal(error.context.status, 403);
});
