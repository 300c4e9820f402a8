import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import type { z } from "zod";
import {
  type Authenticator,
  authEnvFromEnv,
  type AuthVariables,
  createAuthenticator,
  SigningKeysUnavailableError,
} from "./auth.ts";
import type { MetricReporter } from "../metrics/metric_reporter.ts";
import { databaseRetryAfterSeconds, isDatabaseUnavailable } from "../db/database_unavailable.ts";
import { type FieldIssue, fieldIssues } from "./validation.ts";
import { isWarmupRequest, warmupPreparer, warmupResponse } from "./warmup.ts";
import { createRequestTally, rejectedKind, talliedStatuses } from "./request_tally.ts";
import { edgeRuntimeWaitUntil } from "./wait_until.ts";

/**
 * The Hono app every optimizer function is built on. It gives each request an id (x-request-id, echoed),
 * answers warm-up pings before anything else (see warmup.ts), turns every failure into JSON
 * (`{error, requestId, issues?}`: 400 bad fields, 401/403 credentials, 404, 405, 413, 415, 503 with
 * retry-after while the database or the signing keys are unavailable, 500 without internals) and reports its
 * own latency, cold starts and 5xx answers through a MetricReporter without delaying the response: one event
 * per request, except warm-up pings and 401/404/405 answers, which are counted per minute (request_tally.ts).
 * Routes add requireAuth(...) from auth.ts, limitBody(), jsonBody() and query().
 */

/**
 * The Hono environment of a FunctionApp: the request's id, whether it was this isolate's first (cold start),
 * and the authenticator and caller of AuthVariables (auth.ts).
 */
export type AppEnv = {
  Variables: AuthVariables & { requestId: string; coldStart: boolean };
};

/** What createFunctionApp() returns: a Hono app to add routes to, served through its `fetch`. */
export type FunctionApp = Hono<AppEnv>;

/** Options of createFunctionApp(); only `name` is required. */
export interface FunctionAppOptions {
  /** The function's name: routes answer under `/<name>/…` (the gateway path) and under `/…`. */
  name: string;
  /** Defaults to one built on first use from the platform env (SUPABASE_SECRET_KEYS, SUPABASE_JWKS, …). */
  authenticator?: Authenticator;
  /** Where self-instrumentation goes; null records nothing. */
  reporter?: MetricReporter | null;
  /** Keeps the isolate alive for background work; defaults to EdgeRuntime.waitUntil when present. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Monotonic milliseconds for latencies. */
  clock?: () => number;
  /** Wall-clock time for the events' occurredAt (default: the system clock). */
  now?: () => Date;
  /** Server-side log of unexpected errors (never sent to the client). */
  log?: (entry: Record<string, unknown>) => void;
  /** Answer CORS preflights and add CORS headers (any origin: credentials travel in headers, not cookies). */
  cors?: boolean;
  /**
   * What a warm-up ping does before it is answered, so that the next request finds it done (the functions
   * open their database pool); bounded as warmupPreparer() in warmup.ts says.
   */
  prepareOnWarmup?: () => unknown;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

function routePath(url: string, name: string): string {
  let path = new URL(url).pathname;
  if (path.startsWith("/functions/v1/")) path = path.slice("/functions/v1".length);
  if (path === `/${name}` || path.startsWith(`/${name}/`)) path = path.slice(name.length + 1);
  // Hono's non-strict mode cannot be combined with a custom getPath, so a trailing slash is dropped here.
  if (path.length > 1 && path.endsWith("/")) path = path.replace(/\/+$/, "");
  return path === "" ? "/" : path;
}

function routePattern(path: string): RegExp {
  const source = path.split("/").map((part) =>
    part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return new RegExp(`^${source}/?$`);
}

/** The JSON body of every error answer: `error` says what is wrong, `requestId` finds the request in logs. */
export function errorBody(
  c: Context<AppEnv>,
  error: string,
  issues?: FieldIssue[],
): { error: string; issues?: FieldIssue[]; requestId: string } {
  return issues ? { error, issues, requestId: c.get("requestId") } : { error, requestId: c.get("requestId") };
}

/** A 400 (or other status) listing the rejected fields. */
export function issuesResponse(
  c: Context<AppEnv>,
  issues: FieldIssue[],
  status: 400 | 403 | 422 = 400,
  error = "invalid request: see issues",
): Response {
  return c.json(errorBody(c, error, issues), status);
}

/**
 * Builds a function's app as described at the top of this file: request ids, warm-up answers, JSON errors
 * (503 with retry-after while the database or the signing keys are unavailable) and self-instrumentation.
 * Throws when `name` is not a function name.
 */
export function createFunctionApp(options: FunctionAppOptions): FunctionApp {
  const { name } = options;
  if (!/^[a-z0-9_-]+$/i.test(name)) {
    throw new Error(`name must be the function's name (letters, digits, _ or -): got '${name}'`);
  }
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((entry) => console.error(JSON.stringify(entry)));
  const reporter = options.reporter ?? null;
  const waitUntil = options.waitUntil ?? edgeRuntimeWaitUntil();
  const tally = reporter && createRequestTally({ target: name, reporter, now, waitUntil });
  let authenticator = options.authenticator;
  let served = false;
  const prepare = options.prepareOnWarmup
    ? warmupPreparer({ prepare: options.prepareOnWarmup, waitUntil, clock })
    : null;

  const app = new Hono<AppEnv>({ getPath: (request) => routePath(request.url, name) });

  app.use("*", async (c, next) => {
    const started = clock();
    const coldStart = !served;
    served = true;
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("coldStart", coldStart);
    c.header("x-request-id", requestId);
    const warmup = isWarmupRequest(c.req.raw);
    try {
      if (warmup) {
        await prepare?.();
        c.res = warmupResponse(coldStart, { "x-request-id": requestId });
        return;
      }
      await next();
    } finally {
      if (!c.res.headers.has("x-request-id")) {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set("x-request-id", requestId);
      }
      const latencyMs = Math.max(0, clock() - started);
      const status = c.res.status;
      if (tally && (warmup || talliedStatuses.has(status))) {
        tally.count({ kind: warmup ? "warm_ping" : rejectedKind, status, coldStart, latencyMs });
      } else if (reporter) {
        reporter.record({
          occurredAt: now().toISOString(),
          system: "edge",
          target: name,
          kind: "request",
          latencyMs,
          error: status >= 500,
          coldStart,
          attrs: { method: c.req.method, status },
        });
        waitUntil?.(reporter.settled());
      }
    }
  });

  if (options.cors ?? true) {
    app.use(
      "*",
      cors({
        origin: "*",
        allowHeaders: [
          "authorization",
          "apikey",
          "content-type",
          "x-client-info",
          "x-request-id",
          "x-warmup",
        ],
        allowMethods: ["GET", "POST", "PUT", "OPTIONS"],
        exposeHeaders: ["x-request-id"],
        maxAge: 86_400,
      }),
    );
  }

  app.use("*", async (c, next) => {
    authenticator ??= createAuthenticator({ env: authEnvFromEnv() });
    c.set("authenticator", authenticator);
    await next();
  });

  app.notFound((c) => {
    const path = c.req.path;
    const allowed = new Set<string>();
    for (const route of app.routes) {
      if (route.method !== "ALL" && routePattern(route.path).test(path)) allowed.add(route.method);
    }
    if (allowed.size > 0) {
      if (allowed.has("GET")) allowed.add("HEAD");
      c.header("Allow", [...allowed].join(", "));
      return c.json(
        errorBody(c, `method ${c.req.method} is not allowed on ${path}: use ${[...allowed].join(" or ")}`),
        405,
      );
    }
    return c.json(errorBody(c, `no route ${c.req.method} ${path} in function ${name}`), 404);
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return c.json(
        errorBody(c, error.message || error.getResponse().statusText || "request failed"),
        error.status,
      );
    }
    const unavailable = isDatabaseUnavailable(error);
    log({
      level: "error",
      function: name,
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    if (unavailable) {
      c.header("retry-after", String(databaseRetryAfterSeconds));
      return c.json(
        errorBody(c, "the database is unavailable: retry in a few seconds"),
        503,
      );
    }
    if (error instanceof SigningKeysUnavailableError) {
      c.header("retry-after", String(error.retryAfterSeconds));
      return c.json(
        errorBody(
          c,
          "the project's signing keys could not be fetched to check the JWT: retry in a few seconds",
        ),
        503,
      );
    }
    return c.json(errorBody(c, "internal error: the function logged the details under this requestId"), 500);
  });

  return app;
}

/**
 * What jsonBody(), query() and params() return: Hono middleware that parses one part of the request with a zod
 * schema, after which handlers read the parsed value with `c.req.valid(target)`.
 */
export type Validator<Target extends "json" | "query" | "param", S extends z.ZodType> = MiddlewareHandler<
  AppEnv,
  string,
  { out: { [K in Target]: z.output<S> } }
>;

/** Refuses bodies over maxBytes with 413 before they are read into memory. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) {
    throw new RangeError(`maxBytes must be a whole number >= 1: got ${maxBytes}`);
  }
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      c.json(
        {
          error: `request body is larger than ${maxBytes} bytes: send less (split the batch)`,
          requestId: c.get("requestId"),
        },
        413,
      ),
  });
}

/**
 * Validates a JSON body against `schema`: 415 unless Content-Type is JSON, 400 "malformed JSON" when it does
 * not parse, 400 with every bad field as {path, message} when it does not fit. Handlers read c.req.valid("json").
 */
export function jsonBody<S extends z.ZodType>(schema: S): Validator<"json", S> {
  return zodValidator("json", schema, "invalid request body: see issues", (c) => {
    const type = c.req.header("content-type") ?? "";
    return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)
      ? null
      : c.json(errorBody(c, `Content-Type must be application/json: got '${type || "none"}'`), 415);
  });
}

/** Validates the query string against `schema` (400 with {path, message} issues). Handlers read c.req.valid("query"). */
export function query<S extends z.ZodType>(schema: S): Validator<"query", S> {
  return zodValidator("query", schema, "invalid query: see issues");
}

/** Validates the path parameters against `schema` (400 with {path, message} issues). Handlers read c.req.valid("param"). */
export function params<S extends z.ZodType>(schema: S): Validator<"param", S> {
  return zodValidator("param", schema, "invalid path: see issues");
}

function zodValidator<Target extends "json" | "query" | "param", S extends z.ZodType>(
  target: Target,
  schema: S,
  error: string,
  precheck: (c: Context<AppEnv>) => Response | null = () => null,
): Validator<Target, S> {
  const middleware = validator(target, async (value, c: Context<AppEnv>) => {
    const refused = precheck(c);
    if (refused) return refused;
    const result = await schema.safeParseAsync(value);
    if (!result.success) return issuesResponse(c, fieldIssues(result.error), 400, error);
    return result.data as z.output<S>;
  });
  // Hono infers the middleware's type through conditional types over S; Validator names what handlers see.
  return middleware as unknown as Validator<Target, S>;
}
