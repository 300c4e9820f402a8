/**
 * Pure: what to do about a failed module download, from Deno's error output and the environment it ran
 * with. A TLS failure names the variable that makes Deno trust the certificate authority; a connection
 * failure names the proxy and registry variables (see host_env.ts for what Deno reads).
 */

export type DownloadFailureKind = "tls" | "connection" | "other";

export interface DownloadFailure {
  kind: DownloadFailureKind;
  /** The URL Deno failed to fetch, when its output names one. */
  url: string | null;
  /** One or two sentences naming the variables that fix it; empty for "other". */
  hint: string;
}

// Deno prints "error sending request for url (URL): client error (Connect): invalid peer certificate: X".
const urlPattern = /error sending request for url \(([^)\s]+)\)/;
const tlsPattern = /invalid peer certificate: ?(\w+)?/i;
const connectionPattern =
  /tcp connect error|dns error|Connection refused|Connection reset|timed out|Network is unreachable|proxy/i;

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

function tlsHint(env: Record<string, string | undefined>, reason: string): string {
  const stores = (env.DENO_TLS_CA_STORE ?? "mozilla").split(",").map((store) => store.trim());
  const systemStore = stores.includes("system");
  const sslCertFile = env.SSL_CERT_FILE;
  const lead = `the server's certificate is not trusted (${reason}): ` +
    "a proxy or a company certificate authority intercepts HTTPS, and Deno does not know that authority.";
  if (sslCertFile && !systemStore) {
    return `${lead} SSL_CERT_FILE=${sslCertFile} is set, but Deno reads it only from the system store: ` +
      `set DENO_TLS_CA_STORE=system (or DENO_CERT=${sslCertFile}) and start again.`;
  }
  if (env.DENO_CERT) {
    return `${lead} DENO_CERT=${env.DENO_CERT} does not hold that authority: point DENO_CERT at the PEM file ` +
      "that does, or set DENO_TLS_CA_STORE=system if the operating system's store has it.";
  }
  if (systemStore) {
    return `${lead} DENO_TLS_CA_STORE=${env.DENO_TLS_CA_STORE} is set, so the operating system's store lacks ` +
      "it: set DENO_CERT=/path/to/company-ca.pem (or SSL_CERT_FILE, which the system store reads).";
  }
  return `${lead} Set DENO_TLS_CA_STORE=system if the operating system's store has it, ` +
    "or DENO_CERT=/path/to/company-ca.pem, and start again.";
}

function connectionHint(env: Record<string, string | undefined>): string {
  const proxy = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"].find((name) => env[name]);
  const registry = env.NPM_CONFIG_REGISTRY
    ? `NPM_CONFIG_REGISTRY=${env.NPM_CONFIG_REGISTRY} is the registry in use`
    : "NPM_CONFIG_REGISTRY (or registry= in ~/.npmrc) names a registry mirror";
  const lead = proxy
    ? `the connection through the proxy ${proxy}=${env[proxy]} failed: check it (and NO_PROXY).`
    : "the connection failed: if this machine reaches the internet through a proxy, set HTTPS_PROXY " +
      "(and NO_PROXY for hosts it must not handle).";
  return `${lead} ${registry}.`;
}

/** Classifies Deno's output of a failed `deno cache` / module load and says which variables fix it. */
export function explainDownloadFailure(
  output: string,
  env: Record<string, string | undefined>,
): DownloadFailure {
  const text = stripAnsi(output);
  const url = urlPattern.exec(text)?.[1] ?? null;
  const tls = tlsPattern.exec(text);
  if (tls) return { kind: "tls", url, hint: tlsHint(env, tls[1] ?? "untrusted certificate") };
  if (url && connectionPattern.test(text)) return { kind: "connection", url, hint: connectionHint(env) };
  return { kind: "other", url, hint: "" };
}
