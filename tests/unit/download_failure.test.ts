import assert from "node:assert/strict";
import { explainDownloadFailure } from "../../scripts/stack/download_failure.ts";

// What Deno 2.9 prints when it cannot fetch an npm package (colours stripped).
const tlsOutput = [
  'error: Failed loading https://registry.npmjs.org/hono for package "hono"',
  "    0: error sending request for url (https://registry.npmjs.org/hono): client error (Connect): " +
  "invalid peer certificate: UnknownIssuer",
].join("\n");
const refusedOutput = [
  'error: Failed loading https://registry.npmjs.org/hono for package "hono"',
  "    0: error sending request for url (https://registry.npmjs.org/hono): client error (Connect): " +
  "tcp connect error: Connection refused (os error 111)",
].join("\n");

Deno.test("explainDownloadFailure() reads the failing URL and the certificate error from Deno's output", () => {
  const failure = explainDownloadFailure(`\x1b[31m${tlsOutput}\x1b[0m`, {});
  assert.equal(failure.kind, "tls");
  assert.equal(failure.url, "https://registry.npmjs.org/hono");
  assert.match(failure.hint, /not trusted \(UnknownIssuer\)/);
});

Deno.test("explainDownloadFailure() with no CA settings names DENO_TLS_CA_STORE=system and DENO_CERT", () => {
  const { hint } = explainDownloadFailure(tlsOutput, {});
  assert.match(hint, /Set DENO_TLS_CA_STORE=system/);
  assert.match(hint, /DENO_CERT=\/path\/to\/company-ca\.pem/);
});

Deno.test("explainDownloadFailure() says SSL_CERT_FILE is read only with DENO_TLS_CA_STORE=system", () => {
  const { hint } = explainDownloadFailure(tlsOutput, { SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt" });
  assert.match(hint, /SSL_CERT_FILE=\/etc\/ssl\/certs\/ca-certificates\.crt is set, but Deno reads it only/);
  assert.match(hint, /set DENO_TLS_CA_STORE=system \(or DENO_CERT=\/etc\/ssl\/certs\/ca-certificates\.crt\)/);
});

Deno.test("explainDownloadFailure() says a DENO_CERT that is set lacks the authority", () => {
  const { hint } = explainDownloadFailure(tlsOutput, { DENO_CERT: "/etc/old-ca.pem" });
  assert.match(hint, /DENO_CERT=\/etc\/old-ca\.pem does not hold that authority/);
});

Deno.test("explainDownloadFailure() with the system store in use points at DENO_CERT", () => {
  const { hint } = explainDownloadFailure(tlsOutput, { DENO_TLS_CA_STORE: "mozilla,system" });
  assert.match(hint, /operating system's store lacks it: set DENO_CERT=/);
});

Deno.test("explainDownloadFailure() blames the proxy a refused connection went through", () => {
  const failure = explainDownloadFailure(refusedOutput, { https_proxy: "http://proxy:3128" });
  assert.equal(failure.kind, "connection");
  assert.match(failure.hint, /through the proxy https_proxy=http:\/\/proxy:3128 failed/);
  assert.match(failure.hint, /NO_PROXY/);
});

Deno.test("explainDownloadFailure() without a proxy names HTTPS_PROXY and the registry variable", () => {
  const { hint } = explainDownloadFailure(refusedOutput, { NPM_CONFIG_REGISTRY: "https://mirror.example/" });
  assert.match(hint, /set HTTPS_PROXY/);
  assert.match(hint, /NPM_CONFIG_REGISTRY=https:\/\/mirror\.example\/ is the registry in use/);
});

Deno.test("explainDownloadFailure() gives no hint for errors that are not downloads", () => {
  const failure = explainDownloadFailure('error: Module not found "file:///r/f/missing.ts".', {});
  assert.deepEqual(failure, { kind: "other", url: null, hint: "" });
});
