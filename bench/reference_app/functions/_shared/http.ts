import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { z } from "zod";

/**
 * The QuantForge app's own web layer, written as an app team would write it on Hono: request ids, JSON
 * errors (`{error, requestId, issues?}`), zod validation of queries and bodies, and a signed-in-user check of
 * the Supabase Auth JWT. It uses nothing of the optimizer but instrument() (runtime.ts), so that a change to
 * the optimizer's internals cannot change how the app behaves.
 */

export type AppEnv = { Variables: { requestId: string; userId: string } };
export type App = ReturnType<typeof createApp>;

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export function errorBody(c: Context<AppEnv>, error: string, issues?: { path: string; message: string }[]) {
  return { error, ...(issues ? { issues } : {}), requestId: c.get("requestId") };
}

/** A Hono app answering under `/<name>/…`, the path the Supabase gateway hands a function. */
export function createApp(name: string) {
  const app = new Hono<AppEnv>().basePath(`/${name}`);
  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.header("x-request-id", requestId);
    await next();
  });
  app.notFound((c) => c.json(errorBody(c, `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return c.json(errorBody(c, error.message || "request failed"), error.status);
    }
    console.error(
      JSON.stringify({ function: name, requestId: c.get("requestId"), error: error.stack ?? String(error) }),
    );
    return c.json(errorBody(c, "internal error: see the function's log under this requestId"), 500);
  });
  return app;
}

/** `["messages", 0, "role"]` -> `messages[0].role`. */
function issuesOf(error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (out, key) => typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key),
      "",
    ) || "(root)",
    message: issue.message,
  }));
}

/** Validates the query string (400 with issues); handlers read c.req.valid("query"). */
export function query<S extends z.ZodType>(schema: S) {
  return validator("query", async (value, c) => {
    const result = await schema.safeParseAsync(value);
    if (!result.success) {
      return c.json(errorBody(c, "invalid query: see issues", issuesOf(result.error)), 400);
    }
    return result.data as z.output<S>;
  });
}

/** Validates a JSON body (415 unless JSON, 400 with issues); handlers read c.req.valid("json"). */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator("json", async (value, c) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return c.json(errorBody(c, `Content-Type must be application/json: got '${type || "none"}'`), 415);
    }
    const result = await schema.safeParseAsync(value);
    if (!result.success) return c.json(errorBody(c, "invalid body: see issues", issuesOf(result.error)), 400);
    return result.data as z.output<S>;
  });
}

/** 413 for bodies over maxBytes, before they are read. */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      c.json({ error: `request body is larger than ${maxBytes} bytes`, requestId: c.get("requestId") }, 413),
  });
}

/**
 * Lets a request through only with a valid Supabase Auth user JWT (`Authorization: Bearer`), and sets
 * `userId` to its `sub`. Signing keys: SUPABASE_JWKS (a JSON Web Key Set), else the project's JWKS endpoint.
 */
export function requireUser(env: (name: string) => string | undefined = (name) => Deno.env.get(name)) {
  let keys: JWTVerifyGetKey | undefined;
  const signingKeys = () => {
    const jwks = env("SUPABASE_JWKS");
    const url = env("SUPABASE_URL");
    if (jwks) return createLocalJWKSet(JSON.parse(jwks));
    if (url) return createRemoteJWKSet(new URL(`${url.replace(/\/+$/, "")}/auth/v1/.well-known/jwks.json`));
    throw new Error("cannot verify user JWTs: set SUPABASE_JWKS or SUPABASE_URL");
  };
  return createMiddleware<AppEnv>(async (c, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const deny = (error: string) => {
      c.header("WWW-Authenticate", 'Bearer realm="supabase"');
      return c.json(errorBody(c, error), 401);
    };
    if (!token) return deny("sign in: send Authorization: Bearer <the user's access token>");
    try {
      const { payload } = await jwtVerify(token, keys ??= signingKeys(), {
        audience: "authenticated",
        requiredClaims: ["exp", "sub"],
      });
      c.set("userId", payload.sub!);
    } catch (error) {
      return deny(`invalid access token: ${(error as Error).message}`);
    }
    await next();
  });
}
