import assert from "node:assert/strict";
import { workerHostEnv } from "../../scripts/stack/host_env.ts";

const host = {
  PATH: "/usr/bin",
  HOME: "/root",
  DENO_DIR: "/cache/deno",
  DENO_CERT: "/etc/company-ca.pem",
  DENO_TLS_CA_STORE: "system",
  NODE_EXTRA_CA_CERTS: "/etc/extra.pem",
  SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
  SSL_CERT_DIR: "/etc/ssl/certs",
  HTTPS_PROXY: "http://proxy:3128",
  http_proxy: "http://proxy:3128",
  all_proxy: "socks5://proxy:1080",
  NO_PROXY: "localhost,127.0.0.1",
  NPM_CONFIG_REGISTRY: "https://npm.mirror.example/",
  DENO_AUTH_TOKENS: "token@code.example",
  AWS_SECRET_ACCESS_KEY: "secret",
  PGPASSWORD: "postgres",
  SUPABASE_URL: "https://host.example",
  npm_config_registry: "https://lower.example/",
};

Deno.test("workerHostEnv() passes the host's TLS, proxy and registry variables through to workers", () => {
  const env = workerHostEnv(host);
  for (
    const name of [
      "DENO_CERT",
      "DENO_TLS_CA_STORE",
      "NODE_EXTRA_CA_CERTS",
      "SSL_CERT_FILE",
      "SSL_CERT_DIR",
      "HTTPS_PROXY",
      "http_proxy",
      "all_proxy",
      "NO_PROXY",
      "NPM_CONFIG_REGISTRY",
      "DENO_AUTH_TOKENS",
    ] as const
  ) {
    assert.equal(env[name], host[name], name);
  }
});

Deno.test("workerHostEnv() keeps what workers got before: PATH, HOME and DENO_DIR", () => {
  const env = workerHostEnv(host);
  assert.equal(env.PATH, "/usr/bin");
  assert.equal(env.HOME, "/root");
  assert.equal(env.DENO_DIR, "/cache/deno");
});

Deno.test("workerHostEnv() leaks nothing else of the host (secrets, SUPABASE_*, variables Deno ignores)", () => {
  const env = workerHostEnv(host);
  assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  assert.equal(env.PGPASSWORD, undefined);
  assert.equal(env.SUPABASE_URL, undefined);
  // Deno reads the registry from NPM_CONFIG_REGISTRY only (checked with Deno 2.9), so the lower-case one stays.
  assert.equal(env.npm_config_registry, undefined);
});

Deno.test("workerHostEnv() omits variables the host does not set", () => {
  assert.deepEqual(workerHostEnv({ PATH: "/bin" }), { PATH: "/bin" });
});
