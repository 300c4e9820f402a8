/**
 * The platform layer of the local stack (supabase/local): auth helpers, Vault, net.http_* sending after
 * commit, and the extensions hosted projects have. Needs the running stack (tests/support/env.ts).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { stackEnv } from "../support/env.ts";

const env = stackEnv();
const options = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withSql(fn: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(env.dbUrl, { max: 2, onnotice: () => {} });
  try {
    await fn(sql);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

interface Received {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

/** A local HTTP server recording what it receives; `?sleep_ms=N` answers late. */
function recordingServer() {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    received.push({ method: request.method, url, headers: request.headers, body: await request.text() });
    const sleepMs = Number(url.searchParams.get("sleep_ms") ?? 0);
    if (sleepMs) await sleep(sleepMs);
    return Response.json({ ok: true, n: received.length }, { status: 201 });
  });
  return { received, url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function responseRow(sql: postgres.Sql, id: string) {
  const [row] = await sql`select * from net._http_response where id = ${id}`;
  return row;
}

Deno.test("auth.uid(), auth.role() and auth.jwt() read the request.jwt.claims setting", options, async () => {
  await withSql(async (sql) => {
    const sub = crypto.randomUUID();
    const claims = JSON.stringify({ sub, role: "authenticated", email: "a@example.com" });
    const [row] = await sql.begin((tx) =>
      tx`select set_config('request.jwt.claims', ${claims}, true) as _, auth.uid() as uid, auth.role() as role,
                auth.jwt() ->> 'email' as email`
    );
    assert.deepEqual({ uid: row.uid, role: row.role, email: row.email }, {
      uid: sub,
      role: "authenticated",
      email: "a@example.com",
    });
    const [anonymous] = await sql`select auth.uid() as uid`;
    assert.equal(anonymous.uid, null);
  });
});

Deno.test(
  "vault.create_secret stores a secret encrypted and decrypted_secrets reads it back",
  options,
  async () => {
    await withSql(async (sql) => {
      const name = `test_${crypto.randomUUID()}`;
      const [{ id }] = await sql`select vault.create_secret('s3cret', ${name}, 'test secret') as id`;
      const [stored] = await sql`select secret from vault.secrets where id = ${id}`;
      assert.notEqual(stored.secret, "s3cret");
      await sql`select vault.update_secret(${id}::uuid, 'rotated')`;
      const [row] =
        await sql`select decrypted_secret, description from vault.decrypted_secrets where name = ${name}`;
      assert.deepEqual({ ...row }, { decrypted_secret: "rotated", description: "test secret" });
      await sql`delete from vault.secrets where id = ${id}`;
    });
  },
);

Deno.test("vault is readable by service_role but not by anon or authenticated", options, async () => {
  await withSql(async (sql) => {
    await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const rows = await tx`select name from vault.decrypted_secrets where name = 'project_url'`;
      assert.equal(rows.length, 1);
    });
    for (const role of ["anon", "authenticated"]) {
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await tx`select decrypted_secret from vault.decrypted_secrets`;
        }),
        /permission denied/,
      );
    }
  });
});

Deno.test("the stack seeded Vault with project_url and optimizer_secret_key", options, async () => {
  await withSql(async (sql) => {
    const rows = await sql`select name, decrypted_secret from vault.decrypted_secrets
                           where name in ('project_url', 'optimizer_secret_key') order by name`;
    assert.deepEqual(rows.map((r) => [r.name, r.decrypted_secret]), [
      ["optimizer_secret_key", env.secretKey],
      ["project_url", env.url],
    ]);
  });
});

Deno.test(
  "net.http_post is sent only after commit and its response lands in net._http_response",
  options,
  async () => {
    const server = recordingServer();
    try {
      await withSql(async (sql) => {
        const id = await sql.begin(async (tx) => {
          const [{ id }] = await tx`select net.http_post(
          url := ${server.url + "/hook"},
          body := '{"hello": "world"}'::jsonb,
          params := '{"a": "1 2"}'::jsonb,
          headers := '{"Content-Type": "application/json", "apikey": "k"}'::jsonb
        ) as id`;
          await sleep(400);
          assert.equal(server.received.length, 0, "nothing is sent before the transaction commits");
          return id as string;
        });
        const row = await waitFor(() => responseRow(sql, id));
        assert.equal(server.received.length, 1);
        const [request] = server.received;
        assert.equal(request.method, "POST");
        assert.equal(request.url.pathname, "/hook");
        assert.equal(request.url.searchParams.get("a"), "1 2");
        assert.equal(request.headers.get("apikey"), "k");
        assert.deepEqual(JSON.parse(request.body), { hello: "world" });
        assert.equal(row.status_code, 201);
        assert.equal(row.timed_out, false);
        assert.match(row.content_type, /application\/json/);
        assert.deepEqual(JSON.parse(row.content), { ok: true, n: 1 });
      });
    } finally {
      await server.stop();
    }
  },
);

Deno.test("a rolled-back transaction sends nothing", options, async () => {
  const server = recordingServer();
  try {
    await withSql(async (sql) => {
      let id = "";
      await assert.rejects(
        sql.begin(async (tx) => {
          [{ id }] = await tx`select net.http_post(${server.url + "/never"}) as id`;
          throw new Error("roll back");
        }),
        /roll back/,
      );
      await sleep(1500);
      assert.equal(server.received.length, 0);
      assert.equal(await responseRow(sql, id), undefined);
      const queued = await sql`select id from net.http_request_queue where id = ${id}`;
      assert.equal(queued.length, 0);
    });
  } finally {
    await server.stop();
  }
});

Deno.test(
  "net.http_get is sent with its params and a slow answer is recorded as timed out",
  options,
  async () => {
    const server = recordingServer();
    try {
      await withSql(async (sql) => {
        const [{ id: getId }] = await sql`select net.http_get(${
          server.url + "/g"
        }, '{"x": "é&"}'::jsonb) as id`;
        const [{ id: slowId }] = await sql`select net.http_get(
        ${server.url + "/slow"}, '{"sleep_ms": "1500"}'::jsonb, timeout_milliseconds := 200) as id`;
        const got = await waitFor(() => responseRow(sql, getId));
        assert.equal(got.status_code, 201);
        const request = server.received.find((r) => r.url.pathname === "/g");
        assert.equal(request?.method, "GET");
        assert.equal(request?.url.searchParams.get("x"), "é&");
        const slow = await waitFor(() => responseRow(sql, slowId));
        assert.equal(slow.timed_out, true);
        assert.equal(slow.status_code, null);
        assert.match(slow.error_msg, /Timeout/);
      });
    } finally {
      await server.stop();
    }
  },
);

Deno.test(
  "pg_cron and pg_stat_statements are preloaded, cron runs in database postgres",
  options,
  async () => {
    await withSql(async (sql) => {
      const [{ shared_preload_libraries: preload }] = await sql`show shared_preload_libraries`;
      assert.match(preload, /pg_cron/);
      assert.match(preload, /pg_stat_statements/);
      const [{ database }] = await sql`select current_setting('cron.database_name') as database`;
      assert.equal(database, "postgres");
    });
  },
);

Deno.test(
  "pg_stat_statements, hypopg and pgcrypto live in schema extensions as on hosted",
  options,
  async () => {
    await withSql(async (sql) => {
      const rows = await sql`select extname, extnamespace::regnamespace::text as schema from pg_extension
                           where extname in ('pg_stat_statements', 'hypopg', 'pgcrypto') order by extname`;
      assert.deepEqual(rows.map((r) => [r.extname, r.schema]), [
        ["hypopg", "extensions"],
        ["pg_stat_statements", "extensions"],
        ["pgcrypto", "extensions"],
      ]);
      const [{ n }] = await sql`select count(*)::int as n from extensions.pg_stat_statements(false)`;
      assert.ok(n >= 0);
    });
  },
);

Deno.test("pg_cron, pg_prewarm and plpython3u can be enabled", options, async () => {
  await withSql(async (sql) => {
    const available = await sql`select name from pg_available_extensions
                                where name in ('pg_cron', 'pg_prewarm', 'plpython3u', 'hypopg') order by name`;
    assert.deepEqual(available.map((r) => r.name), ["hypopg", "pg_cron", "pg_prewarm", "plpython3u"]);
    // Enabled inside a rolled-back transaction: proves they load without changing the database.
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`create extension if not exists pg_prewarm with schema extensions`;
        await tx`create extension if not exists plpython3u`;
        await tx.unsafe(
          `create function pg_temp.py_add(a int, b int) returns int language plpython3u as 'return a + b'`,
        );
        const [{ sum }] = await tx`select pg_temp.py_add(2, 3) as sum`;
        assert.equal(sum, 5);
        throw new Error("undo");
      }),
      /undo/,
    );
  });
});

Deno.test("hypopg plans with a hypothetical index", options, async () => {
  await withSql(async (sql) => {
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`create table pg_temp.h (id int, v int)`;
        await tx`insert into pg_temp.h select i, i % 100 from generate_series(1, 10000) i`;
        await tx`analyze pg_temp.h`;
        await tx`select * from extensions.hypopg_create_index('create index on pg_temp.h (v)')`;
        const plan = await tx.unsafe("explain select * from pg_temp.h where v = 3");
        assert.match(plan.map((r) => r["QUERY PLAN"]).join("\n"), /Index|Bitmap/);
        throw new Error("undo");
      }),
      /undo/,
    );
  });
});
