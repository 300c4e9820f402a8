/**
 * The part of the host's environment a function worker gets. Workers start from a cleared environment, as
 * on hosted, but a Deno process still needs to find its cache and to reach the network the way the host
 * does: behind a company proxy, or with a certificate authority that intercepts HTTPS, a worker without
 * these variables cannot fetch anything (its `fetch()`, or a module it imports after an edit).
 *
 * What Deno 2.9 reads (checked with `deno cache` of an npm package from an empty DENO_DIR, each variable
 * set alone; `deno --help` lists most of them):
 * - CA certificates: DENO_CERT (a PEM file), DENO_TLS_CA_STORE (`mozilla`, the default, and/or `system`),
 *   NODE_EXTRA_CA_CERTS (a PEM file, Deno 2.8+). SSL_CERT_FILE and SSL_CERT_DIR are read only by the
 *   `system` store (an unreadable SSL_CERT_FILE there fails the download; alone it changes nothing).
 * - Proxies: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, each also lower-case.
 * - npm registry: NPM_CONFIG_REGISTRY (upper-case only) and the `.npmrc` in HOME (registry, auth tokens).
 *   DENO_AUTH_TOKENS are the credentials for private module hosts.
 */

/** Variables a Deno process needs to find its cache and tools, and to print as the host does. */
const processVars = ["PATH", "HOME", "DENO_DIR", "TMPDIR", "NO_COLOR", "LANG", "TZ"];
const tlsVars = ["DENO_CERT", "DENO_TLS_CA_STORE", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"];
const proxyVars = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"].flatMap((name) => [
  name,
  name.toLowerCase(),
]);
const registryVars = ["NPM_CONFIG_REGISTRY", "DENO_AUTH_TOKENS"];

/** Every host variable a worker inherits; nothing else of the host leaks in. */
export const workerHostVars: readonly string[] = [...processVars, ...tlsVars, ...proxyVars, ...registryVars];

/** Pure: the host variables a worker inherits, taken from the host's environment. */
export function workerHostEnv(hostEnv: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of workerHostVars) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
