import { z } from "zod";
import { errorBody, jsonBody, limitBody, query, requireUser } from "../_shared/http.ts";
import { uuidParam } from "../_shared/params.ts";
import { createAppRuntime } from "../_shared/runtime.ts";
import { createChatStore, messageRoles } from "./store.ts";

/** Chat about one robot: read the latest messages, append a turn (the user's message and the AI's reply). */

const name = "robot-chat";
const runtime = createAppRuntime(name);
const { app, cache } = runtime;
const store = createChatStore(runtime.sql);

const defaultMessageLimit = 50;
const maxMessageLimit = 500;
const maxMessagesPerTurn = 20;
const maxContentChars = 100_000;
const maxBodyBytes = 2 * 1024 * 1024;
const robotRoute =
  "/:robotId{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}/messages";

const LimitQuery = z.object({
  limit: z.coerce.number().int().min(1).max(maxMessageLimit).default(defaultMessageLimit),
}).strict();
const TurnBody = z.object({
  messages: z.array(
    z.object({
      role: z.enum(messageRoles),
      content: z.string().min(1).max(maxContentChars),
    }).strict(),
  ).min(1).max(maxMessagesPerTurn),
}).strict();

const user = requireUser();
const robotIdParam = uuidParam("robotId");

app.get(robotRoute, user, robotIdParam, query(LimitQuery), async (c) => {
  const robotId = c.req.param("robotId").toLowerCase();
  if (!await store.owns(c.get("userId"), robotId)) {
    return c.json(errorBody(c, `no robot ${robotId} of yours`), 404);
  }
  return c.json({ robotId, messages: await store.latest(robotId, c.req.valid("query").limit) });
});

app.post(robotRoute, user, robotIdParam, limitBody(maxBodyBytes), jsonBody(TurnBody), async (c) => {
  const robotId = c.req.param("robotId").toLowerCase();
  const userId = c.get("userId");
  const turn = await store.append(userId, robotId, c.req.valid("json").messages, new Date());
  if (!turn) return c.json(errorBody(c, `no robot ${robotId} of yours`), 404);
  // the turn grew robots.chat_history, which the robots function caches: only a cache shared across
  // functions (APP_CACHE=shared) can drop that entry from here
  await cache.invalidateUser(userId, ["robots.get"]);
  return c.json({ robotId, ...turn }, 201);
});

runtime.serve();
