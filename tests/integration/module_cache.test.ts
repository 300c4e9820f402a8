/**
 * Caching the functions' module graphs before a gateway listens (scripts/stack/module_cache.ts), against a
 * real failing download: an npm registry on 127.0.0.1 whose HTTPS certificate no store trusts, as behind a
 * company proxy whose certificate authority Deno has not been told about. Each test uses an empty DENO_DIR.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { cacheFunctionGraphs } from "../../scripts/stack/module_cache.ts";

const fixturesConfig = fileURLToPath(new URL("../fixtures/config.toml", import.meta.url));

interface UntrustedRegistry {
  url: string;
  certFile: string;
  close(): Promise<void>;
}

/** An HTTPS server with a fresh self-signed certificate (openssl), answering 404 to every package. */
async function startUntrustedRegistry(dir: string): Promise<UntrustedRegistry> {
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const openssl = await new Deno.Command("openssl", {
    args: [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1"],
      // A leaf certificate, not a CA, so that it is a valid trust anchor for itself once Deno is told.
      ...["-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(openssl.success, new TextDecoder().decode(openssl.stderr));
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
    onListen: () => {},
  }, () => Response.json({ error: "Not found" }, { status: 404 }));
  return { url: `https://127.0.0.1:${server.addr.port}/`, certFile, close: () => server.shutdown() };
}

async function cacheFailure(env: Record<string, string>): Promise<string> {
  const logs: string[] = [];
  const error = await cacheFunctionGraphs({ configPaths: [fixturesConfig], env, log: (l) => logs.push(l) })
    .then(() => null, (error: unknown) => error);
  assert.ok(error instanceof Error, `caching should have failed; log: ${logs.join("\n")}`);
  return error.message;
}

async function withRegistry(fn: (registry: UntrustedRegistry, denoDir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "module-cache-test-" });
  const registry = await startUntrustedRegistry(dir);
  try {
    await fn(registry, `${dir}/deno-dir`);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a download refused for an untrusted certificate fails naming DENO_TLS_CA_STORE and DENO_CERT", async () => {
  await withRegistry(async (registry, denoDir) => {
    const message = await cacheFailure({
      DENO_DIR: denoDir,
      NPM_CONFIG_REGISTRY: registry.url,
      DENO_TLS_CA_STORE: "mozilla",
      SSL_CERT_FILE: registry.certFile,
    });
    console.log(message);
    assert.match(message, /certificate is not trusted \(UnknownIssuer\)/);
    assert.match(message, /SSL_CERT_FILE=\S+ is set, but Deno reads it only from the system store/);
    assert.match(message, /set DENO_TLS_CA_STORE=system \(or DENO_CERT=/);
    assert.ok(message.includes(registry.url), message);
  });
});

Deno.test("the variable the message names fixes the TLS failure (the registry's 404 is reached)", async () => {
  await withRegistry(async (registry, denoDir) => {
    const message = await cacheFailure({
      DENO_DIR: denoDir,
      NPM_CONFIG_REGISTRY: registry.url,
      DENO_TLS_CA_STORE: "system",
      SSL_CERT_FILE: registry.certFile,
    });
    console.log(message);
    assert.doesNotMatch(message, /certificate/);
    assert.match(message, /caching the functions' modules failed/);
    assert.match(message, /npm package '[^']+' does not exist|404|Not found/i);
  });
});

Deno.test("an enabled function whose entrypoint is missing is named; a disabled one is not cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "module-cache-test-" });
  try {
    await Deno.mkdir(`${dir}/supabase`);
    const config = `${dir}/supabase/config.toml`;
    await Deno.writeTextFile(config, "[functions.gone]\nenabled = false\n");
    await cacheFunctionGraphs({ configPaths: [config], log: () => {} });
    await Deno.writeTextFile(config, "[functions.gone]\n");
    await assert.rejects(
      cacheFunctionGraphs({ configPaths: [config], log: () => {} }),
      /\[functions\.gone\] in \S+config\.toml: entrypoint \S+\/functions\/gone\/index\.ts does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
