/**
 * Seeded generator of QuantForge request traces (pure: a seed and options in, the same trace out, on any
 * machine). The traffic is built from user sessions arriving as a Poisson process whose rate follows the UTC
 * activity shape (shape.ts): each session belongs to one user (Zipf: a few heavy users), opens with the
 * dashboard list and continues with requests drawn from the configured mix, a think time apart. On top come
 * news spikes (short, steep market-data bursts on one or two symbols) and upstream outage windows.
 *
 * Popularity drifts: a user's robots are ranked most recently touched first and drawn by Zipf over that rank,
 * so the hot robot moves as users work; symbols are ranked per leading market (Tokyo, London, New York), each
 * putting its own hot symbols first.
 *
 * traceRequests() streams the requests in order for traces too long to hold; generateTrace() collects them.
 */
import {
  cumulativeOf,
  exponential,
  normal,
  pickCumulative,
  poisson,
  type Rng,
  streamRng,
  uniformInt,
  Zipf,
} from "./prng.ts";
import {
  activity,
  defaultDiurnal,
  defaultMarketOpens,
  diurnalWeight,
  isWeekend,
  leadingMarket,
  type MarketOpen,
  type RateShape,
} from "./shape.ts";
import {
  cacheKey,
  type Endpoint,
  endpointFunction,
  endpoints,
  type Outage,
  type Trace,
  type TraceRequest,
} from "./trace.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";
import { timeframeMs } from "../reference_app/data/market.ts";
import type { Timeframe } from "../reference_app/timeframes.ts";
import { strategyTypes } from "../reference_app/data/strategy.ts";

export interface TraceOptions extends RateShape {
  seed: number;
  /** Wall-clock time of atMs = 0 (UTC). Weekends and market opens are placed from it. */
  startIso: string;
  durationMs: number;
  /** Mean session requests per minute in the weekday peak hour, before bursts and news: the base rate. */
  peakRequestsPerMinute: number;
  users: number;
  /**
   * Robots each user owns at the start (index = userIndex); the trace addresses them as robotIndex 0..n-1.
   * null: a seeded heavy-tailed count with mean meanRobotsPerUser (see defaultRobotsPerUser).
   */
  robotsPerUser: readonly number[] | null;
  meanRobotsPerUser: number;
  /** Zipf exponent of user activity; the users with most robots are the most active. */
  userZipf: number;
  /** Zipf exponent over a user's robots, most recently touched first. */
  robotZipf: number;
  /** Symbols in descending base popularity. */
  symbols: readonly string[];
  symbolZipf: number;
  /** How many hot symbols lead the ranking while a market leads (its `hot` list, topped up by seeded picks). */
  hotSymbolsPerMarket: number;
  /** Relative weights of candle timeframes asked for. */
  timeframes: Readonly<Record<string, number>>;
  /** Candles per market.candles request (the range ends at the last timeframe boundary). */
  candleBars: number;
  /** Search terms in descending popularity (Zipf 1). */
  searchTerms: readonly string[];
  /** Share of each endpoint in session traffic (normalized; news spikes come on top). */
  mix: Readonly<Record<Endpoint, number>>;
  meanRequestsPerSession: number;
  meanThinkMs: number;
  /** Mean news spikes per day, placed where activity is high (weekday peak: all kept; nights: few). */
  newsPerDay: number;
  newsMinMinutes: number;
  newsMaxMinutes: number;
  /** Market-data requests per minute at the top of a news spike. */
  newsPeakRequestsPerMinute: number;
  /** Mean upstream outage windows per day (any hour). */
  outagesPerDay: number;
  outageMinMinutes: number;
  outageMaxMinutes: number;
}

/** The app's shapes and their shares (docs/reference_workload.md); chat turns as often as updates (each turn saves). */
export const defaultMix: Readonly<Record<Endpoint, number>> = {
  "robots.list": 0.2,
  "robots.get": 0.14,
  "robots.create": 0.07,
  "robots.update": 0.065,
  "robots.softDelete": 0.02,
  "robots.duplicate": 0.018,
  "robots.health": 0.016,
  "robots.count": 0.015,
  "robots.search": 0.014,
  "robots.byIds": 0.012,
  "robots.recent": 0.01,
  "robots.strategyTypes": 0.008,
  "robots.export": 0.002,
  "chat.list": 0.05,
  "chat.append": 0.065,
  "market.quote": 0.195,
  "market.candles": 0.1,
};

export const defaultSymbols: readonly string[] = [
  "EURUSD",
  "XAUUSD",
  "GBPUSD",
  "USDJPY",
  "BTCUSD",
  "NAS100",
  "US30",
  "GER40",
  "AUDUSD",
  "SPX500",
  "USDCAD",
  "JP225",
  "ETHUSD",
  "USDCHF",
  "EURJPY",
  "GBPJPY",
  "EURGBP",
  "NZDUSD",
  "XAGUSD",
  "UK100",
];

export const traceDefaults: TraceOptions = {
  seed: 1,
  startIso: "2025-03-03T00:00:00.000Z", // a Monday
  durationMs: DAY_MS,
  peakRequestsPerMinute: 60,
  users: 200,
  robotsPerUser: null,
  meanRobotsPerUser: 6,
  userZipf: 1,
  robotZipf: 1.2,
  symbols: defaultSymbols,
  symbolZipf: 1.1,
  hotSymbolsPerMarket: 3,
  timeframes: { M1: 0.25, M5: 0.2, M15: 0.2, H1: 0.2, H4: 0.1, D1: 0.05 },
  candleBars: 100,
  searchTerms: [
    "trend",
    "scalp",
    "grid",
    "rsi",
    "macd",
    "breakout",
    "ema",
    "gold",
    "martingale",
    "hedge",
    "news",
    "london",
    "asia",
    "range",
    "momentum",
    "reversal",
  ],
  mix: defaultMix,
  meanRequestsPerSession: 8,
  meanThinkMs: 15_000,
  diurnal: defaultDiurnal,
  weekendFactor: 0.35,
  marketOpens: defaultMarketOpens,
  burstMinutes: 15,
  burstGain: 3,
  newsPerDay: 3,
  newsMinMinutes: 2,
  newsMaxMinutes: 6,
  newsPeakRequestsPerMinute: 120,
  outagesPerDay: 3,
  outageMinMinutes: 1,
  outageMaxMinutes: 8,
};

/** A think time below this is a double click, not a user's next step. */
const minThinkMs = 500;
/** Share of searches with a strategy filter, and the page weights of search and recent. */
const strategyFilterShare = 0.4;
const searchPageWeights = cumulativeOf([0.75, 0.18, 0.07]);
const recentPageWeights = cumulativeOf([0.85, 0.15]);
const chatListLimit = 50;
/** A news spike reaches its top this fast, then decays with a time constant of a third of its length. */
const newsRiseMs = 30_000;
/** News falls mostly on the first of its symbols; requests during a spike are mostly quotes. */
const newsFirstSymbolShare = 0.7;
const newsQuoteShare = 0.8;
/** News picks its symbols with a flatter Zipf than traffic: unpopular symbols make news too. */
const newsSymbolZipf = 0.5;
/** Heavy tail of generated robot counts (lognormal sigma) and its cap. */
const robotCountSigma = 1.2;
const maxGeneratedRobots = 5000;

function fail(message: string): never {
  throw new Error(message);
}

function checkNumber(name: string, value: number, min: number, integer = false): void {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < min ||
    (integer && !Number.isInteger(value))
  ) {
    fail(`${name} must be ${integer ? "an integer" : "a number"} >= ${min}: got ${value}`);
  }
}

/** Defaults filled in and every option checked, with messages that say what to change. */
export function resolveTraceOptions(options: Partial<TraceOptions> = {}): TraceOptions {
  const o: TraceOptions = { ...traceDefaults, ...options };
  if (options.robotsPerUser && options.users === undefined) o.users = options.robotsPerUser.length;
  checkNumber("seed", o.seed, 0, true);
  if (Number.isNaN(Date.parse(o.startIso))) fail(`startIso must be an ISO date-time: got "${o.startIso}"`);
  checkNumber("durationMs", o.durationMs, 1, true);
  checkNumber("peakRequestsPerMinute", o.peakRequestsPerMinute, 0);
  checkNumber("users", o.users, 1, true);
  if (o.robotsPerUser) {
    if (o.robotsPerUser.length !== o.users) {
      fail(`robotsPerUser must have one count per user (${o.users}): got ${o.robotsPerUser.length}`);
    }
    o.robotsPerUser.forEach((n, i) => checkNumber(`robotsPerUser[${i}]`, n, 0, true));
  }
  checkNumber("meanRobotsPerUser", o.meanRobotsPerUser, 1);
  for (const name of ["userZipf", "robotZipf", "symbolZipf"] as const) checkNumber(name, o[name], 0);
  if (o.symbols.length === 0) fail("symbols must name at least one symbol: got []");
  if (new Set(o.symbols).size !== o.symbols.length) {
    fail(`symbols must be distinct: got ${o.symbols.join(",")}`);
  }
  checkNumber("hotSymbolsPerMarket", o.hotSymbolsPerMarket, 0, true);
  const frames = Object.entries(o.timeframes);
  for (const [frame, weight] of frames) {
    if (!(frame in timeframeMs)) {
      fail(`timeframes may only name ${Object.keys(timeframeMs).join(", ")}: got ${frame}`);
    }
    checkNumber(`timeframes.${frame}`, weight, 0);
  }
  if (frames.reduce((sum, [, w]) => sum + w, 0) <= 0) {
    fail("timeframes must give some timeframe a weight > 0");
  }
  checkNumber("candleBars", o.candleBars, 1, true);
  if (o.searchTerms.length === 0) fail("searchTerms must name at least one term: got []");
  for (const name of Object.keys(o.mix)) {
    if (!(name in endpointFunction)) {
      fail(`mix names an unknown endpoint: ${name} (known: ${endpoints.join(", ")})`);
    }
  }
  for (const endpoint of endpoints) checkNumber(`mix["${endpoint}"]`, o.mix[endpoint] ?? 0, 0);
  const mixTotal = endpoints.reduce((sum, e) => sum + (o.mix[e] ?? 0), 0);
  if (mixTotal <= 0) fail("mix must give some endpoint a weight > 0");
  checkNumber("meanRequestsPerSession", o.meanRequestsPerSession, 1);
  const listShare = (o.mix["robots.list"] ?? 0) / mixTotal;
  if (listShare < 1 / o.meanRequestsPerSession) {
    fail(
      `mix["robots.list"] must be at least 1 / meanRequestsPerSession of the mix, because every session opens ` +
        `with the dashboard list: got ${listShare.toFixed(3)} < ${(1 / o.meanRequestsPerSession).toFixed(3)}`,
    );
  }
  checkNumber("meanThinkMs", o.meanThinkMs, 0);
  if (o.diurnal.length !== 24) fail(`diurnal must have 24 hourly weights: got ${o.diurnal.length}`);
  o.diurnal.forEach((w, i) => checkNumber(`diurnal[${i}]`, w, 0));
  checkNumber("weekendFactor", o.weekendFactor, 0);
  o.marketOpens.forEach((open, i) => {
    if (!Number.isInteger(open.utcMinute) || open.utcMinute < 0 || open.utcMinute >= 24 * 60) {
      fail(`marketOpens[${i}].utcMinute must be an integer in [0, 1440): got ${open.utcMinute}`);
    }
  });
  checkNumber("burstMinutes", o.burstMinutes, 1);
  checkNumber("burstGain", o.burstGain, 0);
  checkNumber("newsPerDay", o.newsPerDay, 0);
  checkNumber("newsMinMinutes", o.newsMinMinutes, 0.5);
  checkNumber("newsMaxMinutes", o.newsMaxMinutes, o.newsMinMinutes);
  checkNumber("newsPeakRequestsPerMinute", o.newsPeakRequestsPerMinute, 0);
  checkNumber("outagesPerDay", o.outagesPerDay, 0);
  checkNumber("outageMinMinutes", o.outageMinMinutes, 0.1);
  checkNumber("outageMaxMinutes", o.outageMaxMinutes, o.outageMinMinutes);
  return o;
}

/** Seeded heavy-tailed robot counts (lognormal, at least 1) with the given mean: a few users own hundreds. */
export function defaultRobotsPerUser(seed: number, users: number, mean: number): number[] {
  const rng = streamRng(seed, "robots-per-user");
  const mu = Math.log(mean) - robotCountSigma ** 2 / 2;
  return Array.from({ length: users }, () => {
    return Math.min(
      maxGeneratedRobots,
      Math.max(1, Math.round(Math.exp(mu + robotCountSigma * normal(rng)))),
    );
  });
}

/** Upstream outage windows: a Poisson number per day, uniform start, uniform length; merged and clipped. */
export function traceOutages(options: Partial<TraceOptions> = {}): Outage[] {
  const o = resolveTraceOptions(options);
  const rng = streamRng(o.seed, "outages");
  const windows: Outage[] = [];
  for (let day = 0; day * DAY_MS < o.durationMs; day++) {
    const count = poisson(rng, o.outagesPerDay);
    for (let i = 0; i < count; i++) {
      const startMs = Math.floor(day * DAY_MS + rng() * DAY_MS);
      const lengthMs = (o.outageMinMinutes + rng() * (o.outageMaxMinutes - o.outageMinMinutes)) * MINUTE_MS;
      if (startMs < o.durationMs) {
        windows.push({ startMs, endMs: Math.min(o.durationMs, Math.floor(startMs + lengthMs)) });
      }
    }
  }
  windows.sort((a, b) => a.startMs - b.startMs);
  const merged: Outage[] = [];
  for (const w of windows) {
    const last = merged.at(-1);
    if (last && w.startMs <= last.endMs) last.endMs = Math.max(last.endMs, w.endMs);
    else merged.push({ ...w });
  }
  return merged;
}

interface NewsSpike {
  startMs: number;
  lengthMs: number;
  symbols: string[];
}

function newsSpikes(o: TraceOptions, startEpoch: number): NewsSpike[] {
  const rng = streamRng(o.seed, "news");
  const zipf = new Zipf(newsSymbolZipf);
  const spikes: NewsSpike[] = [];
  for (let day = 0; day * DAY_MS < o.durationMs; day++) {
    // Candidates at the peak rate, kept in proportion to activity (without bursts): news breaks when people trade.
    const count = poisson(rng, o.newsPerDay);
    const starts = Array.from({ length: count }, () => Math.floor(day * DAY_MS + rng() * DAY_MS)).sort((
      a,
      b,
    ) => a - b);
    for (const startMs of starts) {
      const epoch = startEpoch + startMs;
      const keep = diurnalWeight(o.diurnal, epoch) * (isWeekend(epoch) ? o.weekendFactor : 1);
      const lengthMs = (o.newsMinMinutes + rng() * (o.newsMaxMinutes - o.newsMinMinutes)) * MINUTE_MS;
      const first = zipf.draw(rng, o.symbols.length);
      const second = zipf.draw(rng, o.symbols.length);
      const symbols = first === second || rng() < 0.5
        ? [o.symbols[first]]
        : [o.symbols[first], o.symbols[second]];
      if (startMs < o.durationMs && rng() < keep) spikes.push({ startMs, lengthMs, symbols });
    }
  }
  return spikes;
}

/** Per leading market: cumulative Zipf weights over the symbols, that market's hot symbols ranked first. */
function symbolTables(o: TraceOptions): Float64Array[] {
  const rng = streamRng(o.seed, "hot-symbols");
  const taken = new Set<string>();
  return o.marketOpens.map((open: MarketOpen) => {
    const hot = (open.hot ?? []).filter((s) => o.symbols.includes(s)).slice(0, o.hotSymbolsPerMarket);
    // Top up with seeded picks, preferring symbols no other market made hot, so that each session leads with its own.
    const pool = o.symbols.filter((s) => !hot.includes(s) && !taken.has(s));
    const fallback = o.symbols.filter((s) => !hot.includes(s));
    while (hot.length < Math.min(o.hotSymbolsPerMarket, o.symbols.length)) {
      const from = pool.length > 0 ? pool : fallback;
      const pick = from.splice(uniformInt(rng, from.length), 1)[0];
      if (!hot.includes(pick)) hot.push(pick);
      const other = from === pool ? fallback : pool;
      if (other.includes(pick)) other.splice(other.indexOf(pick), 1);
    }
    hot.forEach((s) => taken.add(s));
    const ranking = [...hot, ...o.symbols.filter((s) => !hot.includes(s))];
    const weights = o.symbols.map((s) => 1 / Math.pow(ranking.indexOf(s) + 1, o.symbolZipf));
    return cumulativeOf(weights);
  });
}

interface UserRobots {
  /** Live robot indexes, most recently touched first. */
  order: number[];
  /** Trace time a robot created during the trace appears (robots from the data set exist from the start). */
  bornAtMs: Map<number, number>;
  /** Latest trace time a request addressed the robot: it may not be deleted before that. */
  lastUseMs: Map<number, number>;
  nextIndex: number;
}

const robotEndpoints: ReadonlySet<Endpoint> = new Set<Endpoint>([
  "robots.get",
  "robots.update",
  "robots.softDelete",
  "robots.duplicate",
  "robots.byIds",
  "chat.list",
  "chat.append",
]);

/**
 * The generator's state while streaming. Sessions are generated whole when they start, so one user's
 * overlapping sessions are generated out of time order: robots carry the time they were born and last used,
 * so no request addresses a robot before its creation or after its deletion.
 */
class TraceBuilder {
  readonly rng: Rng;
  readonly startEpoch: number;
  readonly userByRank: number[];
  readonly robotCounts: readonly number[];
  readonly users = new Map<number, UserRobots>();
  readonly userZipf: Zipf;
  readonly robotZipf: Zipf;
  readonly termZipf = new Zipf(1);
  readonly symbolTables: Float64Array[];
  readonly frameNames: string[];
  readonly frameCumulative: Float64Array;
  readonly firstShare: number;
  readonly laterCumulative: Float64Array;

  constructor(readonly o: TraceOptions) {
    this.rng = streamRng(o.seed, "sessions");
    this.startEpoch = Date.parse(o.startIso);
    this.robotCounts = o.robotsPerUser ?? defaultRobotsPerUser(o.seed, o.users, o.meanRobotsPerUser);
    this.userByRank = Array.from({ length: o.users }, (_, i) => i)
      .sort((a, b) => this.robotCounts[b] - this.robotCounts[a] || a - b);
    this.userZipf = new Zipf(o.userZipf);
    this.robotZipf = new Zipf(o.robotZipf);
    this.symbolTables = symbolTables(o);
    this.frameNames = Object.keys(o.timeframes);
    this.frameCumulative = cumulativeOf(this.frameNames.map((f) => o.timeframes[f]));
    // Every session opens with the dashboard list; later requests draw from the mix without that share, so the
    // whole trace still follows the configured mix.
    const total = endpoints.reduce((sum, e) => sum + (o.mix[e] ?? 0), 0);
    this.firstShare = 1 / o.meanRequestsPerSession;
    this.laterCumulative = cumulativeOf(endpoints.map((e) => {
      const share = (o.mix[e] ?? 0) / total;
      return Math.max(0, e === "robots.list" ? share - this.firstShare : share);
    }));
  }

  userRobots(userIndex: number): UserRobots {
    let state = this.users.get(userIndex);
    if (!state) {
      const count = this.robotCounts[userIndex];
      state = {
        order: Array.from({ length: count }, (_, i) => i),
        bornAtMs: new Map(),
        lastUseMs: new Map(),
        nextIndex: count,
      };
      this.users.set(userIndex, state);
    }
    return state;
  }

  /** A live robot by Zipf over recency, moved to the front; -1 if the user has none at that time. */
  pickRobot(state: UserRobots, atMs: number, forDelete = false): number {
    const usable = (robot: number) =>
      (state.bornAtMs.get(robot) ?? -Infinity) <= atMs &&
      (!forDelete || (state.lastUseMs.get(robot) ?? -1) <= atMs);
    const n = state.order.length;
    if (n === 0) return -1;
    const rank = this.robotZipf.draw(this.rng, n);
    let at = -1;
    for (let i = rank; i < n && at < 0; i++) if (usable(state.order[i])) at = i;
    for (let i = rank - 1; i >= 0 && at < 0; i--) if (usable(state.order[i])) at = i;
    if (at < 0) return -1;
    const robot = state.order[at];
    state.order.splice(at, 1);
    if (!forDelete) {
      state.order.unshift(robot);
      state.lastUseMs.set(robot, Math.max(atMs, state.lastUseMs.get(robot) ?? -1));
    }
    return robot;
  }

  newRobot(state: UserRobots, atMs: number): number {
    const robot = state.nextIndex++;
    state.bornAtMs.set(robot, atMs);
    state.lastUseMs.set(robot, atMs);
    state.order.unshift(robot);
    return robot;
  }

  timeframe(): string {
    return this.frameNames[pickCumulative(this.rng, this.frameCumulative)];
  }

  marketParams(
    endpoint: "market.quote" | "market.candles",
    symbol: string,
    timeframe: string,
    atMs: number,
  ): Record<string, string | number> {
    if (endpoint === "market.quote") return { symbol, timeframe };
    const frameMs = timeframeMs[timeframe as Timeframe];
    const toEpoch = Math.floor((this.startEpoch + atMs) / frameMs) * frameMs;
    return {
      symbol,
      timeframe,
      from: new Date(toEpoch - this.o.candleBars * frameMs).toISOString(),
      to: new Date(toEpoch).toISOString(),
    };
  }

  request(
    endpoint: Endpoint,
    userIndex: number,
    atMs: number,
    params: Record<string, string | number>,
  ): TraceRequest {
    return {
      atMs,
      endpoint,
      fn: endpointFunction[endpoint],
      userIndex,
      key: cacheKey(endpoint, userIndex, params),
      params,
    };
  }

  /** One request of a session; robot requests of a user without a robot at that time become a create. */
  sessionRequest(wanted: Endpoint, userIndex: number, atMs: number, symbols: string[]): TraceRequest {
    const rng = this.rng;
    let endpoint = wanted;
    const state = robotEndpoints.has(endpoint) || endpoint === "robots.create"
      ? this.userRobots(userIndex)
      : null;
    let robot = -1;
    if (state && robotEndpoints.has(endpoint)) {
      robot = this.pickRobot(state, atMs, endpoint === "robots.softDelete");
      if (robot < 0) endpoint = "robots.create";
    }
    switch (endpoint) {
      case "robots.create":
        return this.request(endpoint, userIndex, atMs, { robotIndex: this.newRobot(state!, atMs) });
      case "robots.duplicate":
        return this.request(endpoint, userIndex, atMs, {
          robotIndex: robot,
          newRobotIndex: this.newRobot(state!, atMs),
        });
      case "robots.get":
      case "robots.update":
      case "robots.softDelete":
      case "chat.append":
        return this.request(endpoint, userIndex, atMs, { robotIndex: robot });
      case "chat.list":
        return this.request(endpoint, userIndex, atMs, { robotIndex: robot, limit: chatListLimit });
      case "robots.byIds": {
        const picked = new Set([robot]);
        const want = 2 + uniformInt(rng, 4);
        for (let i = 0; i < want * 2 && picked.size < want; i++) {
          const other = this.pickRobot(state!, atMs);
          if (other >= 0) picked.add(other);
        }
        const robotIndexes = [...picked].sort((a, b) => a - b).join(",");
        return this.request(endpoint, userIndex, atMs, { robotIndexes });
      }
      case "robots.search": {
        const params: Record<string, string | number> = {
          q: this.o.searchTerms[this.termZipf.draw(rng, this.o.searchTerms.length)],
          page: 1 + pickCumulative(rng, searchPageWeights),
        };
        if (rng() < strategyFilterShare) {
          params.strategy = strategyTypes[uniformInt(rng, strategyTypes.length)];
        }
        return this.request(endpoint, userIndex, atMs, params);
      }
      case "robots.recent":
        return this.request(endpoint, userIndex, atMs, { page: 1 + pickCumulative(rng, recentPageWeights) });
      case "market.quote":
      case "market.candles": {
        // A session watches a few symbols, the first most.
        const symbol = symbols[Math.min(symbols.length - 1, Math.floor(Math.pow(rng(), 2) * symbols.length))];
        return this.request(
          endpoint,
          userIndex,
          atMs,
          this.marketParams(endpoint, symbol, this.timeframe(), atMs),
        );
      }
      default:
        return this.request(endpoint, userIndex, atMs, {});
    }
  }

  session(startMs: number, emit: (request: TraceRequest) => void): void {
    const o = this.o;
    const rng = this.rng;
    const userIndex = this.userByRank[this.userZipf.draw(rng, o.users)];
    const table = this.symbolTables.length > 0
      ? this.symbolTables[leadingMarket(o.marketOpens, this.startEpoch + startMs)]
      : cumulativeOf(o.symbols.map((_, i) => 1 / Math.pow(i + 1, o.symbolZipf)));
    const symbols = [
      ...new Set(Array.from({ length: 1 + uniformInt(rng, 3) }, () => o.symbols[pickCumulative(rng, table)])),
    ];
    const continueProbability = 1 - this.firstShare;
    let atMs = startMs;
    let first = true;
    while (atMs < o.durationMs) {
      const endpoint = first ? "robots.list" : endpoints[pickCumulative(rng, this.laterCumulative)];
      emit(this.sessionRequest(endpoint, userIndex, Math.floor(atMs), symbols));
      first = false;
      if (rng() >= continueProbability) break;
      atMs += Math.max(minThinkMs, exponential(rng, o.meanThinkMs));
    }
  }

  news(spike: NewsSpike, emit: (request: TraceRequest) => void): void {
    const o = this.o;
    const rng = streamRng(o.seed, `news-${spike.startMs}`);
    const peakPerMs = o.newsPeakRequestsPerMinute / MINUTE_MS;
    if (peakPerMs === 0) return;
    const decayMs = spike.lengthMs / 3;
    for (let t = exponential(rng, 1 / peakPerMs); t < spike.lengthMs; t += exponential(rng, 1 / peakPerMs)) {
      const level = t < newsRiseMs ? t / newsRiseMs : Math.exp(-(t - newsRiseMs) / decayMs);
      if (rng() >= level) continue;
      const atMs = Math.floor(spike.startMs + t);
      if (atMs >= o.durationMs) break;
      const userIndex = this.userByRank[this.userZipf.draw(rng, o.users)];
      const symbol = spike.symbols.length === 1 || rng() < newsFirstSymbolShare
        ? spike.symbols[0]
        : spike.symbols[1];
      const endpoint = rng() < newsQuoteShare ? "market.quote" : "market.candles";
      const timeframe = this.frameNames[pickCumulative(rng, this.frameCumulative)];
      emit(this.request(endpoint, userIndex, atMs, this.marketParams(endpoint, symbol, timeframe, atMs)));
    }
  }
}

/**
 * The trace's requests in atMs order, generated minute by minute: a minute's requests are final once every
 * session starting in it has been generated, because sessions only reach forward in time.
 */
export function* traceRequests(options: Partial<TraceOptions> = {}): Generator<TraceRequest> {
  const o = resolveTraceOptions(options);
  const generator = new TraceBuilder(o);
  const spikes = newsSpikes(o, generator.startEpoch);
  const buckets = new Map<number, TraceRequest[]>();
  const emit = (request: TraceRequest) => {
    const minute = Math.floor(request.atMs / MINUTE_MS);
    const bucket = buckets.get(minute);
    if (bucket) bucket.push(request);
    else buckets.set(minute, [request]);
  };
  const sessionsPerMinute = o.peakRequestsPerMinute / o.meanRequestsPerSession;
  let nextSpike = 0;
  for (let minute = 0; minute * MINUTE_MS < o.durationMs; minute++) {
    const fromMs = minute * MINUTE_MS;
    const toMs = Math.min(o.durationMs, fromMs + MINUTE_MS);
    while (nextSpike < spikes.length && spikes[nextSpike].startMs < toMs) {
      generator.news(spikes[nextSpike++], emit);
    }
    const rate = sessionsPerMinute * activity(o, generator.startEpoch + fromMs + MINUTE_MS / 2);
    const count = poisson(generator.rng, rate * (toMs - fromMs) / MINUTE_MS);
    const starts = Array.from({ length: count }, () => fromMs + generator.rng() * (toMs - fromMs)).sort((
      a,
      b,
    ) => a - b);
    for (const startMs of starts) generator.session(startMs, emit);
    const bucket = buckets.get(minute);
    if (bucket) {
      buckets.delete(minute);
      yield* bucket.sort((a, b) => a.atMs - b.atMs);
    }
  }
}

export function generateTrace(options: Partial<TraceOptions> = {}): Trace {
  const o = resolveTraceOptions(options);
  return {
    seed: o.seed,
    startIso: new Date(Date.parse(o.startIso)).toISOString(),
    durationMs: o.durationMs,
    requests: [...traceRequests(o)],
    outages: traceOutages(o),
  };
}
