/**
 * The Edge Functions gateway: http://127.0.0.1:<port>/functions/v1/<name>[/subpath][?query], any method,
 * bodies streamed both ways. Like hosted Supabase it applies verify_jwt before the function runs and hands
 * the function the path without the /functions/v1 prefix (`/<name>/subpath`). It also serves the JWKS at
 * /auth/v1/.well-known/jwks.json and its own observability at GET /_stack/workers: the pool's workers, and per
 * function the requests forwarded to a worker and those the gateway answered itself, without a handler.
 */
import { functionConfigFile, type FunctionSettings, loadFunctionsConfig } from "./functions_config.ts";
import { readDotenvFile } from "./env_file.ts";
import { workerHostEnv } from "./host_env.ts";
import { createJwtVerifier, type JwtVerifier } from "./jwt_check.ts";
import { loadOrCreateKeys, publicJwks, type StackKeys } from "./keys.ts";
import { cacheFunctionGraphs } from "./module_cache.ts";
import { type GatewayOptions, resolveGatewayOptions } from "./options.ts";
import { workerCwd } from "./worker.ts";
import { type PoolStats, WorkerPool } from "./worker_pool.ts";

/** Why the gateway answered a function request itself, without the function's handler. */
export type HandlerlessReason = "not_found" | "verify_jwt" | "boot_failed" | "worker_error";

export interface GatewayStats extends PoolStats {
  requests: Record<string, { forwarded: number; withoutHandler: Partial<Record<HandlerlessReason, number>> }>;
}

export interface RunningGateway {
  /** http://127.0.0.1:<port> (SUPABASE_URL of the functions it serves). */
  url: string;
  port: number;
  keys: StackKeys;
  stats(): GatewayStats;
  /** Stops accepting requests and kills every worker. */
  stop(): Promise<void>;
}

const hopByHopHeaders = [
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "host",
];

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}

/** Re-reads config.toml only when it changed, so edits apply without a restart. */
function functionsConfigCache(configPath: string): () => Promise<Map<string, FunctionSettings>> {
  let cached: { mtime: number; value: Map<string, FunctionSettings> } | null = null;
  return async () => {
    const mtime = (await Deno.stat(configPath)).mtime?.getTime() ?? 0;
    if (!cached || cached.mtime !== mtime) cached = { mtime, value: await loadFunctionsConfig(configPath) };
    return cached.value;
  };
}

export function platformEnv(url: string, dbUrl: string, keys: StackKeys): Record<string, string> {
  return {
    SUPABASE_URL: url,
    SUPABASE_DB_URL: dbUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
  };
}

/** Wraps a response body so `done` runs once it has been fully sent, failed, or been cancelled by the client. */
function trackBody(
  body: ReadableStream<Uint8Array> | null,
  done: () => void,
): ReadableStream<Uint8Array> | null {
  if (!body) {
    done();
    return null;
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          controller.close();
          done();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        done();
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
}

export async function startGateway(partial: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  const options = resolveGatewayOptions(partial);
  await Deno.stat(options.configPath).catch(() => {
    throw new Error(
      `configPath ${options.configPath} does not exist: pass the config.toml listing the functions`,
    );
  });
  const keys = await loadOrCreateKeys(options.stackDir);
  const verifier: JwtVerifier = createJwtVerifier(keys.jwtSecret, publicJwks(keys));
  const functionsConfig = functionsConfigCache(options.configPath);
  // Before listening, so that no cold start downloads anything (see module_cache.ts).
  await cacheFunctionGraphs({ configPaths: [options.configPath], log: options.log });
  let url = "";

  const pool = new WorkerPool({
    idleTimeoutMs: options.workerIdleTimeoutS * 1000,
    maxLifetimeMs: options.workerMaxLifetimeS * 1000,
    log: options.log,
    spawnSpec: async (name) => {
      const settings = (await functionsConfig()).get(name);
      if (!settings) throw new Error(`function "${name}" is no longer in ${options.configPath}`);
      const host = workerHostEnv(Deno.env.toObject());
      const secrets = await readDotenvFile(options.functionsEnvPath, true);
      return {
        functionName: name,
        entrypoint: settings.entrypoint,
        configFile: await functionConfigFile(settings),
        cwd: workerCwd(options.configPath),
        // Platform variables win: names starting SUPABASE_ are reserved on hosted too.
        env: { ...host, ...secrets, ...platformEnv(url, options.dbUrl, keys), SUPABASE_FUNCTION_SLUG: name },
        bootTimeoutMs: options.workerBootTimeoutS * 1000,
        log: options.log,
      };
    },
  });

  const requests: GatewayStats["requests"] = {};
  const counted = (name: string) => requests[name] ??= { forwarded: 0, withoutHandler: {} };
  function withoutHandler(name: string, reason: HandlerlessReason, response: Response): Response {
    const reasons = counted(name).withoutHandler;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    return response;
  }

  async function invoke(request: Request, name: string, rest: string, search: string): Promise<Response> {
    const settings = (await functionsConfig()).get(name);
    if (!settings || !settings.enabled) {
      return withoutHandler(
        name,
        "not_found",
        json(404, { code: "NOT_FOUND", message: "Requested function was not found" }),
      );
    }
    if (settings.verifyJwt) {
      const decision = await verifier.check(request.headers.get("authorization"), new Date());
      if (!decision.ok) {
        return withoutHandler(
          name,
          "verify_jwt",
          json(decision.status, { code: decision.status, message: decision.message }),
        );
      }
    }
    let lease;
    try {
      lease = await pool.acquire(name);
    } catch (error) {
      options.log(
        `[stack] function ${name} failed to boot: ${error instanceof Error ? error.message : error}`,
      );
      return withoutHandler(
        name,
        "boot_failed",
        json(503, { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" }),
      );
    }
    counted(name).forwarded++;
    const { worker, coldStart, release } = lease;
    const stackHeaders = { "x-stack-worker-id": worker.id, "x-stack-cold-start": String(coldStart) };
    const headers = new Headers(request.headers);
    for (const header of hopByHopHeaders) headers.delete(header);
    // Compression is left to the client's connection with the gateway; fetch would decode it anyway.
    headers.delete("accept-encoding");
    headers.set("x-forwarded-host", request.headers.get("host") ?? "");
    headers.set("x-forwarded-proto", "http");
    try {
      const upstream = await fetch(`http://127.0.0.1:${worker.port}/${name}${rest}${search}`, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
      });
      const responseHeaders = new Headers(upstream.headers);
      for (const [key, value] of Object.entries(stackHeaders)) responseHeaders.set(key, value);
      return new Response(trackBody(upstream.body, release), {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: responseHeaders,
      });
    } catch (error) {
      release();
      const message = error instanceof Error ? error.message : String(error);
      // No answer came back: the handler did not return a response, so no request event was recorded.
      return withoutHandler(
        name,
        "worker_error",
        json(502, { code: "WORKER_ERROR", message: `Function worker failed: ${message}` }, stackHeaders),
      );
    }
  }

  async function handle(request: Request): Promise<Response> {
    const { pathname, search } = new URL(request.url);
    const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(pathname);
    if (match) return await invoke(request, decodeURIComponent(match[1]), match[2] ?? "", search);
    if (pathname === "/auth/v1/.well-known/jwks.json" && request.method === "GET") {
      return json(200, publicJwks(keys), { "cache-control": "public, max-age=600" });
    }
    if (pathname === "/_stack/workers" && request.method === "GET") return json(200, stats());
    return json(404, { code: "NOT_FOUND", message: `No route for ${request.method} ${pathname}` });
  }

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    onListen: () => {},
    onError: (error) => {
      options.log(`[stack] gateway error: ${error instanceof Error ? error.stack : error}`);
      return json(500, { code: 500, message: "Gateway error" });
    },
  }, handle);
  const port = server.addr.port;
  url = `http://127.0.0.1:${port}`;

  const stats = (): GatewayStats => ({ ...pool.stats(), requests: structuredClone(requests) });

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    keys,
    stats,
    stop: () => {
      stopping ??= (async () => {
        await pool.close();
        await server.shutdown();
      })();
      return stopping;
    },
  };
}
