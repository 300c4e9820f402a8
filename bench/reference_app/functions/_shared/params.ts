import { createMiddleware } from "hono/factory";
import { type AppEnv, errorBody } from "./http.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * 404 unless the path parameter is a UUID: no row can have another id, and the database would only fail to
 * cast it.
 */
export function uuidParam(name: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const value = c.req.param(name) ?? "";
    if (!uuidPattern.test(value)) {
      return c.json(errorBody(c, `${name} must be a UUID: got '${value.slice(0, 64)}'`), 404);
    }
    await next();
  });
}
