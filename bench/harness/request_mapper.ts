/**
 * Turns a trace request into the HTTP call the QuantForge app would make to its functions. Robot indexes
 * become ids through a directory of the loaded data (per user, most recently touched first, the order the
 * trace generator assumes) plus the robots created during the replay.
 */
import type { TraceRequest } from "../trace/trace.ts";

export interface RobotDirectory {
  /** Active, non-deleted robot ids per user index, most recently updated first. */
  robotsByUser: string[][];
  /** Robots created by the replay: `${userIndex}:${robotIndex}` -> id. */
  created: Map<string, string>;
}

export interface HttpCall {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under /functions/v1, with the query string. */
  path: string;
  body?: unknown;
}

export type Mapped = { call: HttpCall } | { skip: string };

/** Bytes of MQL5-like code the app sends with every save: several KB (docs/reference_workload.md). */
const savedCodeBytes = 4096;
const savedChatTurns = 12;

export function createDirectory(robotsByUser: string[][]): RobotDirectory {
  return { robotsByUser, created: new Map() };
}

function robotIdOf(directory: RobotDirectory, userIndex: number, robotIndex: number): string | null {
  return directory.created.get(`${userIndex}:${robotIndex}`) ??
    directory.robotsByUser[userIndex]?.[robotIndex] ?? null;
}

/** Deterministic filler so that every save carries a realistic payload without a read first. */
function savedRobot(userIndex: number, robotIndex: number) {
  const line = `// robot ${userIndex}-${robotIndex}: input double Lots = 0.1; OnTick() { Trade(); }\n`;
  return {
    code: line.repeat(Math.ceil(savedCodeBytes / line.length)).slice(0, savedCodeBytes),
    strategy_params: { lots: 0.1, stopLoss: 40, takeProfit: 80, robotIndex },
    chat_history: Array.from({ length: savedChatTurns }, (_, i) => ({
      role: i % 2 === 0 ? "user" : "assistant",
      content: `turn ${i}: tune the stop loss of robot ${robotIndex}`,
    })),
  };
}

function query(params: Record<string, string | number | undefined>): string {
  const defined = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
  return defined.length === 0 ? "" : `?${new URLSearchParams(defined.map(([k, v]) => [k, String(v)]))}`;
}

export function toHttpCall(request: TraceRequest, directory: RobotDirectory): Mapped {
  const { params, userIndex } = request;
  const robot = () => {
    const id = robotIdOf(directory, userIndex, Number(params.robotIndex));
    return id ? { id } : null;
  };
  const needRobot = (build: (id: string) => HttpCall): Mapped => {
    const found = robot();
    // A robot created by a request still in flight (open loop), or none left: nothing the app would send.
    return found ? { call: build(found.id) } : { skip: `robot ${userIndex}:${params.robotIndex} is unknown` };
  };
  switch (request.endpoint) {
    case "robots.list":
      return { call: { method: "GET", path: "/robots" } };
    case "robots.get":
      return needRobot((id) => ({ method: "GET", path: `/robots/${id}` }));
    case "robots.search":
      return {
        call: {
          method: "GET",
          path: `/robots/search${query({ q: params.q, strategy: params.strategy, page: params.page })}`,
        },
      };
    case "robots.recent":
      return { call: { method: "GET", path: `/robots/recent${query({ page: params.page })}` } };
    case "robots.byIds": {
      const ids = String(params.robotIndexes).split(",")
        .map((index) => robotIdOf(directory, userIndex, Number(index)))
        .filter((id): id is string => id !== null);
      if (ids.length === 0) {
        return { skip: `none of robots ${params.robotIndexes} of user ${userIndex} is known` };
      }
      return { call: { method: "GET", path: `/robots/by-ids${query({ ids: ids.join(",") })}` } };
    }
    case "robots.count":
      return { call: { method: "GET", path: "/robots/count" } };
    case "robots.strategyTypes":
      return { call: { method: "GET", path: "/robots/strategy-types" } };
    case "robots.health":
      return { call: { method: "GET", path: "/robots/health" } };
    case "robots.export":
      return { call: { method: "GET", path: "/robots/export" } };
    case "robots.create":
      return {
        call: {
          method: "POST",
          path: "/robots",
          body: {
            name: `Trace robot ${userIndex}-${params.robotIndex}`,
            description: "Created by the reference workload",
            strategy_type: "Trend",
            ...savedRobot(userIndex, Number(params.robotIndex)),
          },
        },
      };
    case "robots.update":
      return needRobot((id) => ({
        method: "PUT",
        path: `/robots/${id}`,
        body: savedRobot(userIndex, Number(params.robotIndex)),
      }));
    case "robots.softDelete":
      return needRobot((id) => ({ method: "DELETE", path: `/robots/${id}` }));
    case "robots.duplicate":
      return needRobot((id) => ({ method: "POST", path: `/robots/${id}/duplicate` }));
    case "chat.list":
      return needRobot((id) => ({
        method: "GET",
        path: `/robot-chat/${id}/messages${query({ limit: params.limit })}`,
      }));
    case "chat.append":
      return needRobot((id) => ({
        method: "POST",
        path: `/robot-chat/${id}/messages`,
        body: {
          messages: [
            { role: "user", content: "Make the trailing stop tighter during the London open." },
            {
              role: "assistant",
              content: "Done: the trailing stop now follows ATR(14) x 1.5 from 07:00 UTC.",
            },
          ],
        },
      }));
    case "market.quote":
      return {
        call: {
          method: "GET",
          path: `/market-data/quote${query({ symbol: params.symbol, timeframe: params.timeframe })}`,
        },
      };
    case "market.candles":
      return {
        call: {
          method: "GET",
          path: `/market-data/candles${
            query({ symbol: params.symbol, timeframe: params.timeframe, from: params.from, to: params.to })
          }`,
        },
      };
  }
}

/** Records the id of a robot the replay created, so later requests naming its index reach it. */
export function learnCreatedRobot(
  request: TraceRequest,
  status: number,
  body: unknown,
  directory: RobotDirectory,
): void {
  if (status !== 201) return;
  const index = request.endpoint === "robots.create"
    ? request.params.robotIndex
    : request.endpoint === "robots.duplicate"
    ? request.params.newRobotIndex
    : undefined;
  const id = (body as { robot?: { id?: unknown } })?.robot?.id;
  if (index !== undefined && typeof id === "string") {
    directory.created.set(`${request.userIndex}:${index}`, id);
  }
}
