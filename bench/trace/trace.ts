/**
 * The trace format shared by the generator, the replayer, the simulation and the harness (their contract:
 * docs/reference_workload.md). atMs is trace (virtual) time since startIso; requests are sorted by atMs.
 */

export type Endpoint =
  | "robots.list"
  | "robots.get"
  | "robots.search"
  | "robots.recent"
  | "robots.byIds"
  | "robots.count"
  | "robots.strategyTypes"
  | "robots.health"
  | "robots.create"
  | "robots.update"
  | "robots.softDelete"
  | "robots.duplicate"
  | "robots.export"
  | "chat.list"
  | "chat.append"
  | "market.quote"
  | "market.candles";

export type FunctionName = "robots" | "robot-chat" | "market-data";

export interface TraceRequest {
  atMs: number;
  endpoint: Endpoint;
  fn: FunctionName;
  userIndex: number;
  /** What a cache-aside cache would key this read on; "" for writes. See cacheKey(). */
  key: string;
  /** robotIndex, symbol, timeframe, q, page, ... resolved to ids by the replayer. */
  params: Record<string, string | number>;
}

export interface Outage {
  startMs: number;
  endMs: number;
}

export interface Trace {
  seed: number;
  startIso: string;
  durationMs: number;
  requests: TraceRequest[];
  outages: Outage[];
}

export const endpointFunction: Record<Endpoint, FunctionName> = {
  "robots.list": "robots",
  "robots.get": "robots",
  "robots.search": "robots",
  "robots.recent": "robots",
  "robots.byIds": "robots",
  "robots.count": "robots",
  "robots.strategyTypes": "robots",
  "robots.health": "robots",
  "robots.create": "robots",
  "robots.update": "robots",
  "robots.softDelete": "robots",
  "robots.duplicate": "robots",
  "robots.export": "robots",
  "chat.list": "robot-chat",
  "chat.append": "robot-chat",
  "market.quote": "market-data",
  "market.candles": "market-data",
};

export const endpoints = Object.keys(endpointFunction) as Endpoint[];

export const writeEndpoints: ReadonlySet<Endpoint> = new Set<Endpoint>([
  "robots.create",
  "robots.update",
  "robots.softDelete",
  "robots.duplicate",
  "chat.append",
]);

export function isWrite(endpoint: Endpoint): boolean {
  return writeEndpoints.has(endpoint);
}

/** Endpoints whose answer is the same for every user (no row level security involved). */
const sharedEndpoints: ReadonlySet<Endpoint> = new Set<Endpoint>(["market.quote", "market.candles"]);

/**
 * Prefix of every cache key of one user's reads. Row level security makes each robots and chat answer depend
 * on the caller, so those keys start with the user; a write by that user can invalidate by this prefix.
 */
export function userKeyPrefix(userIndex: number): string {
  return `u${userIndex}:`;
}

/**
 * The cache key of a read: endpoint and every parameter that changes the answer (sorted by name), prefixed
 * with the user unless the endpoint is user-independent. Writes have no key ("").
 */
export function cacheKey(
  endpoint: Endpoint,
  userIndex: number,
  params: Record<string, string | number>,
): string {
  if (isWrite(endpoint)) return "";
  const parts = Object.keys(params).sort().map((name) => `${name}=${params[name]}`);
  const body = [endpoint, ...parts].join(":");
  return sharedEndpoints.has(endpoint) ? body : userKeyPrefix(userIndex) + body;
}
