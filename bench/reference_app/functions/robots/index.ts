import { z } from "zod";
import { jsonPayload, payloadResponse } from "../_shared/app_cache.ts";
import { errorBody, jsonBody, limitBody, query, requireUser } from "../_shared/http.ts";
import { uuidParam } from "../_shared/params.ts";
import { createAppRuntime } from "../_shared/runtime.ts";
import { createRobotStore, isUniqueViolation, strategyTypes } from "./store.ts";

/**
 * QuantForge's robots API: the dashboard list, one robot, paged search, recent robots, several by id, count,
 * strategy types, a health probe, export, and the writes (save, update, soft delete, duplicate). Every route
 * needs a signed-in user; identity is the verified JWT's sub.
 */

const name = "robots";
const runtime = createAppRuntime(name);
const { app, cache } = runtime;
const store = createRobotStore(runtime.sql);

/** A robot's code is MQL5 source of several KB; the whole chat history travels with every save. */
const maxBodyBytes = 4 * 1024 * 1024;
const maxIdsPerRequest = 100;

const Page = z.coerce.number().int().min(1).max(10_000).default(1);
const StrategyType = z.enum(strategyTypes);
const JsonObject = z.record(z.string(), z.unknown());

const SearchQuery = z.object({
  q: z.string().trim().min(1, "q must be 1 to 200 characters").max(200),
  strategy: StrategyType.optional(),
  page: Page,
}).strict();
const PageQuery = z.object({ page: Page }).strict();
const IdsQuery = z.object({
  ids: z.string().transform((value) => value.split(",").map((id) => id.trim()).filter(Boolean))
    .pipe(z.array(z.uuid()).min(1).max(maxIdsPerRequest)),
}).strict();

const NewRobotBody = z.object({
  name: z.string().min(1).max(255),
  description: z.string().max(5000).nullish(),
  code: z.string().min(1),
  strategy_type: StrategyType.optional(),
  strategy_params: JsonObject.optional(),
  backtest_settings: z.unknown().optional(),
  analysis_result: z.unknown().optional(),
  chat_history: z.array(z.unknown()).optional(),
  is_public: z.boolean().optional(),
});
// The app sends the whole robot on save; only these fields are written.
const UpdateBody = z.object({
  code: z.string().min(1),
  strategy_params: JsonObject,
  chat_history: z.array(z.unknown()),
});

/** The cached reads a user's writes make stale. */
const userTargets = ["robots.get", "robots.count", "robots.strategyTypes"];

const user = requireUser();
const robotIdParam = uuidParam("id");

app.get("/", user, async (c) => {
  const robots = await store.list(c.get("userId"));
  return c.json({ robots, count: robots.length });
});

app.get("/search", user, query(SearchQuery), async (c) => {
  const { q, strategy, page } = c.req.valid("query");
  const { rows, total } = await store.search(c.get("userId"), { term: q, strategy, page });
  return c.json({ robots: rows, total, page });
});

app.get("/recent", user, query(PageQuery), async (c) => {
  const { page } = c.req.valid("query");
  return c.json({ robots: await store.recent(c.get("userId"), page), page });
});

app.get("/by-ids", user, query(IdsQuery), async (c) => {
  return c.json({ robots: await store.byIds(c.get("userId"), c.req.valid("query").ids) });
});

app.get("/count", user, async (c) => {
  const userId = c.get("userId");
  const payload = await cache.read(
    { target: "robots.count", key: `count:${userId}`, userId },
    async () => jsonPayload({ count: await store.count(userId) }),
  );
  return payloadResponse(payload, c.get("requestId"));
});

app.get("/strategy-types", user, async (c) => {
  const userId = c.get("userId");
  const payload = await cache.read(
    { target: "robots.strategyTypes", key: `strategy-types:${userId}`, userId },
    async () => jsonPayload({ strategyTypes: await store.strategyTypes(userId) }),
  );
  return payloadResponse(payload, c.get("requestId"));
});

app.get("/health", user, async (c) => c.json({ ok: await store.health() }));

app.get("/export", user, async (c) => {
  const robots = await store.exportAll(c.get("userId"));
  return c.json({ robots, count: robots.length, exportedAt: new Date().toISOString() });
});

app.post("/", user, limitBody(maxBodyBytes), jsonBody(NewRobotBody), async (c) => {
  const userId = c.get("userId");
  try {
    const robot = await store.create(userId, c.req.valid("json"));
    await cache.invalidateUser(userId, userTargets);
    return c.json({ robot }, 201);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return c.json(errorBody(c, "you already have a robot with this name: choose another name"), 409);
  }
});

app.get("/:id", user, robotIdParam, async (c) => {
  const userId = c.get("userId");
  const id = c.req.param("id").toLowerCase();
  const payload = await cache.read(
    { target: "robots.get", key: `robot:${userId}:${id}`, userId },
    async () => {
      const robot = await store.get(userId, id);
      if (!robot) return jsonPayload(errorBody(c, `no robot ${id} that you may read`), 404);
      // Only the owner's reads are cached: the owner's writes are what invalidates them.
      return { ...jsonPayload({ robot }), cacheable: robot.user_id === userId };
    },
  );
  return payloadResponse(payload, c.get("requestId"));
});

app.put("/:id", user, robotIdParam, limitBody(maxBodyBytes), jsonBody(UpdateBody), async (c) => {
  const userId = c.get("userId");
  const id = c.req.param("id").toLowerCase();
  const robot = await store.update(userId, id, c.req.valid("json"));
  if (!robot) return c.json(errorBody(c, `no robot ${id} of yours to update`), 404);
  await cache.invalidateUser(userId, userTargets);
  return c.json({ robot });
});

app.delete("/:id", user, robotIdParam, async (c) => {
  const userId = c.get("userId");
  const id = c.req.param("id").toLowerCase();
  if (!await store.softDelete(userId, id)) {
    return c.json(errorBody(c, `no robot ${id} of yours to delete`), 404);
  }
  await cache.invalidateUser(userId, userTargets);
  return c.json({ deleted: true, id });
});

app.post("/:id/duplicate", user, robotIdParam, async (c) => {
  const userId = c.get("userId");
  const id = c.req.param("id").toLowerCase();
  const robot = await store.duplicate(userId, id);
  if (!robot) return c.json(errorBody(c, `no active robot ${id} that you may copy`), 404);
  await cache.invalidateUser(userId, userTargets);
  return c.json({ robot }, 201);
});

runtime.serve();
