/**
 * The functions gateway of the local stack, against fixture functions (tests/fixtures) on a gateway of its
 * own with tiny timeouts. The stack must run (its keys sign the tokens): see tests/support/env.ts.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";
import { type RunningGateway, startGateway } from "../../scripts/stack/mod.ts";
import { stackEnv, userJwt } from "../support/env.ts";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const env = stackEnv();
const options = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withGateway(
  timeouts: { workerIdleTimeoutS: number; workerMaxLifetimeS: number },
  fn: (gateway: RunningGateway, logs: string[]) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const gateway = await startGateway({
    port: 0,
    configPath: `${fixtures}config.toml`,
    functionsEnvPath: `${fixtures}functions/.env`,
    dbUrl: env.dbUrl,
    ...timeouts,
    log: (line) => logs.push(line),
  });
  try {
    await fn(gateway, logs);
  } finally {
    await gateway.stop();
  }
}

async function call(gateway: RunningGateway, path: string, init: RequestInit = {}) {
  const response = await fetch(`${gateway.url}/functions/v1/${path}`, init);
  return {
    status: response.status,
    workerId: response.headers.get("x-stack-worker-id"),
    coldStart: response.headers.get("x-stack-cold-start"),
    body: await response.json(),
  };
}

const relaxed = { workerIdleTimeoutS: 30, workerMaxLifetimeS: 60 };

Deno.test(
  "the first request cold-starts a worker and the next one is served warm by it",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      const first = await call(gateway, "echo");
      const second = await call(gateway, "echo");
      assert.equal(first.status, 200);
      assert.equal(first.coldStart, "true");
      assert.equal(second.coldStart, "false");
      assert.equal(second.workerId, first.workerId);
      assert.equal(second.body.pid, first.body.pid);
    });
  },
);

Deno.test(
  "method, subpath, query, headers and body reach the function as on hosted (/<name>/subpath)",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      const { body } = await call(gateway, "echo/items/42?sort=desc&q=a%20b", {
        method: "PUT",
        headers: { "x-custom": "yes", "content-type": "text/plain" },
        body: "payload",
      });
      assert.equal(body.method, "PUT");
      assert.equal(body.path, "/echo/items/42");
      assert.deepEqual(body.query, { sort: "desc", q: "a b" });
      assert.equal(body.headers["x-custom"], "yes");
      assert.equal(body.body, "payload");
    });
  },
);

Deno.test(
  "functions get the hosted environment: SUPABASE_URL of the gateway, slug, JWKS",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      const { body } = await call(gateway, "echo");
      assert.equal(body.supabaseUrl, gateway.url);
      assert.equal(body.slug, "echo");
      assert.equal(body.hasJwks, true);
    });
  },
);

Deno.test(
  "variables from functions/.env reach the function but cannot replace SUPABASE_ ones",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      const { body } = await call(gateway, "echo");
      assert.equal(body.fixtureSecret, "from-dotenv");
      assert.equal(body.supabaseUrl, gateway.url);
    });
  },
);

Deno.test("a function written as export default { fetch } is served", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    const { status, body } = await call(gateway, "default-export/x");
    assert.equal(status, 200);
    assert.deepEqual(body, { style: "default-export", path: "/default-export/x" });
  });
});

Deno.test("a function's import_map from config.toml resolves its bare imports", options, async () => {
  await withGateway(relaxed, async (gateway, logs) => {
    const { status, body } = await call(gateway, "hono-app/hello/world");
    assert.equal(status, 200);
    assert.deepEqual(body, { hello: "world" });
    assert.ok(!logs.some((line) => line.includes("Warning")), logs.join("\n"));
  });
});

/** Sets host variables for the test's duration (undefined removes one), restoring them afterwards. */
async function withHostEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

Deno.test(
  "a cold start downloads nothing: workers boot from the cache the gateway filled before listening",
  options,
  async () => {
    const denoDir = await Deno.makeTempDir({ prefix: "gateway-test-deno-dir-" });
    try {
      // An empty cache, filled by the gateway's start with the host's network settings.
      await withHostEnv({ DENO_DIR: denoDir }, () =>
        withGateway(relaxed, async (gateway) => {
          // Now every HTTPS download goes to a proxy that refuses connections, so a worker that downloaded
          // anything would not boot. (Not another registry: Deno's npm cache is per registry host.)
          const unreachable = {
            HTTPS_PROXY: "http://127.0.0.1:9",
            https_proxy: "http://127.0.0.1:9",
            NO_PROXY: undefined,
            no_proxy: undefined,
          };
          await withHostEnv(unreachable, async () => {
            const hono = await call(gateway, "hono-app/hello/cache");
            assert.equal(hono.status, 200);
            assert.deepEqual(hono.body, { hello: "cache" });
            assert.equal((await call(gateway, "instrumented")).status, 200);
          });
        }));
    } finally {
      await Deno.remove(denoDir, { recursive: true });
    }
  },
);

Deno.test(
  "workers get the host's cache, TLS, proxy and registry variables and no other host variable",
  options,
  async () => {
    const vars = {
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
      HTTPS_PROXY: "http://127.0.0.1:9",
      no_proxy: "localhost",
      DENO_TLS_CA_STORE: "mozilla,system",
      STACK_TEST_HOST_ONLY: "leaked",
    };
    await withGateway(relaxed, (gateway) =>
      withHostEnv(vars, async () => {
        const { status, body } = await call(gateway, "echo");
        assert.equal(status, 200);
        assert.deepEqual(body.hostVars, {
          DENO_DIR: Deno.env.get("DENO_DIR") ?? null,
          NPM_CONFIG_REGISTRY: vars.NPM_CONFIG_REGISTRY,
          HTTPS_PROXY: vars.HTTPS_PROXY,
          no_proxy: vars.no_proxy,
          DENO_TLS_CA_STORE: vars.DENO_TLS_CA_STORE,
          STACK_TEST_HOST_ONLY: null,
        });
      }));
  },
);

Deno.test("concurrent first requests share one cold start", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    const results = await Promise.all(Array.from({ length: 6 }, () => call(gateway, "echo")));
    assert.equal(new Set(results.map((r) => r.workerId)).size, 1);
    assert.ok(results.every((r) => r.coldStart === "true"));
    assert.equal(gateway.stats().coldStarts.echo, 1);
  });
});

Deno.test(
  "the pool reports how long its boots took, which the cold request waited for",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      const started = performance.now();
      await call(gateway, "echo");
      const coldMs = performance.now() - started;
      await call(gateway, "echo");
      const { ready, totalMs } = gateway.stats().boots.echo;
      assert.equal(ready, 1, "one boot for a cold request and a warm one");
      assert.ok(
        totalMs > 0 && totalMs <= coldMs,
        `the boot took ${totalMs} ms of the cold request's ${coldMs} ms`,
      );
    });
  },
);

Deno.test("an idle worker is retired and the next request cold-starts a new one", options, async () => {
  await withGateway({ workerIdleTimeoutS: 0.5, workerMaxLifetimeS: 60 }, async (gateway) => {
    const first = await call(gateway, "echo");
    await sleep(1200);
    const stats = await (await fetch(`${gateway.url}/_stack/workers`)).json();
    assert.deepEqual(stats.workers, []);
    assert.equal(stats.retirementsByReason.idle, 1);
    assert.equal(stats.retirements[0].workerId, first.workerId);
    const second = await call(gateway, "echo");
    assert.equal(second.coldStart, "true");
    assert.notEqual(second.workerId, first.workerId);
  });
});

Deno.test(
  "at its maximum lifetime a worker takes no new request but finishes the one in flight",
  options,
  async () => {
    await withGateway({ workerIdleTimeoutS: 30, workerMaxLifetimeS: 1.5 }, async (gateway) => {
      const warm = await call(gateway, "echo");
      const inFlight = call(gateway, "echo?delay_ms=2500");
      await sleep(2000);
      const retiring = gateway.stats().workers.find((w) => w.id === warm.workerId);
      assert.equal(retiring?.state, "retiring");
      const during = await call(gateway, "echo");
      assert.equal(during.coldStart, "true");
      assert.notEqual(during.workerId, warm.workerId);
      const finished = await inFlight;
      assert.equal(finished.status, 200);
      assert.equal(finished.workerId, warm.workerId);
      await sleep(300);
      const stats = gateway.stats();
      assert.ok(!stats.workers.some((w) => w.id === warm.workerId), "the retired worker was killed");
      assert.ok((stats.retirementsByReason.max_lifetime ?? 0) >= 1);
    });
  },
);

Deno.test("verify_jwt = true refuses a missing, forged or expired token with 401 JSON", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    const missing = await call(gateway, "secured");
    assert.deepEqual({ status: missing.status, body: missing.body }, {
      status: 401,
      body: { code: 401, message: "Missing authorization header" },
    });
    const forged = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("a-secret-that-is-not-the-stack-one-0123456789"));
    const expired = await userJwt(crypto.randomUUID(), -60);
    for (const token of [forged, expired, env.secretKey]) {
      const result = await call(gateway, "secured", { headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual({ status: result.status, body: result.body }, {
        status: 401,
        body: { code: 401, message: "Invalid JWT" },
      });
    }
    assert.equal(gateway.stats().coldStarts.secured, undefined, "no worker started for refused requests");
  });
});

Deno.test("verify_jwt = true accepts the legacy anon key and an ES256 user token", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    const anon = await call(gateway, "secured", { headers: { authorization: `Bearer ${env.anonKey}` } });
    const user = await call(gateway, "secured", {
      headers: { authorization: `Bearer ${await userJwt(crypto.randomUUID())}` },
    });
    assert.equal(anon.status, 200);
    assert.equal(user.status, 200);
  });
});

Deno.test("verify_jwt = false forwards requests without credentials to the function", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    assert.equal((await call(gateway, "echo")).status, 200);
  });
});

Deno.test("unknown and disabled functions are 404 JSON", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    for (const name of ["does-not-exist", "disabled"]) {
      const result = await call(gateway, name);
      assert.equal(result.status, 404);
      assert.equal(result.body.code, "NOT_FOUND");
    }
  });
});

Deno.test(
  "a function that throws while booting answers 503 BOOT_ERROR and its output is forwarded",
  options,
  async () => {
    await withGateway(relaxed, async (gateway, logs) => {
      const result = await call(gateway, "broken");
      assert.equal(result.status, 503);
      assert.equal(result.body.code, "BOOT_ERROR");
      assert.ok(logs.some((line) => line.startsWith("[fn:broken]") && line.includes("fixture boot failure")));
    });
  },
);

Deno.test("the gateway serves the public JWKS and no private key material", options, async () => {
  await withGateway(relaxed, async (gateway) => {
    const jwks = await (await fetch(`${gateway.url}/auth/v1/.well-known/jwks.json`)).json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].alg, "ES256");
    assert.ok(jwks.keys[0].kid);
    assert.equal(jwks.keys[0].d, undefined);
  });
});

Deno.test(
  "a retired worker gets beforeunload and finishes its EdgeRuntime.waitUntil work before it exits",
  options,
  async () => {
    await withGateway({ workerIdleTimeoutS: 0.2, workerMaxLifetimeS: 30 }, async (gateway) => {
      const file = await Deno.makeTempFile({ prefix: "wait-until-" });
      await Deno.remove(file);
      const answer = await call(gateway, `background?file=${encodeURIComponent(file)}&delay_ms=600`);
      assert.equal(answer.status, 200);
      // Idle retirement comes at 0.2 s, while the work still has 0.4 s to go.
      for (let i = 0; i < 30 && gateway.stats().workers.length > 0; i++) await sleep(100);
      assert.equal(gateway.stats().workers.length, 0, "the worker was retired");
      // Retired means no new requests; the process itself gets SIGTERM and up to 2 s before SIGKILL.
      const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
      for (let i = 0; i < 30 && !(await exists(file)); i++) await sleep(100);
      assert.equal(await Deno.readTextFile(file), "done");
      assert.equal(await Deno.readTextFile(`${file}.unload`), "beforeunload");
      await Deno.remove(file);
      await Deno.remove(`${file}.unload`);
    });
  },
);

Deno.test(
  "the gateway counts per function the requests it forwarded and those it answered without a handler",
  options,
  async () => {
    await withGateway(relaxed, async (gateway) => {
      for (const path of ["echo", "echo/x", "broken", "broken", "secured", "disabled", "nowhere"]) {
        await call(gateway, path);
      }
      const expected = {
        echo: { forwarded: 2, withoutHandler: {} },
        broken: { forwarded: 0, withoutHandler: { boot_failed: 2 } },
        secured: { forwarded: 0, withoutHandler: { verify_jwt: 1 } },
        disabled: { forwarded: 0, withoutHandler: { not_found: 1 } },
        nowhere: { forwarded: 0, withoutHandler: { not_found: 1 } },
      };
      assert.deepEqual(gateway.stats().requests, expected);
      const published = await (await fetch(`${gateway.url}/_stack/workers`)).json();
      assert.deepEqual(published.requests, expected);
    });
  },
);
