/**
 * The seeded generator of the QuantForge reference data. Pure and deterministic: the same options give the
 * same rows. planReferenceData() draws the skeleton (who owns which robot, when it was made, how much its
 * owner chatted, how deep each candle series goes) in typed arrays; the generate* functions then stream
 * the rows from it, each entity from its own seeded stream, so large scales need no more memory than the
 * skeleton. Rows come in the order a live app would have inserted them (by time), which is the physical
 * order Postgres will keep.
 */
import {
  apportion,
  chance,
  integer,
  mixSeed,
  pareto,
  permutation,
  pick,
  streamOf,
  uniform,
  uuid,
  zipfWeights,
} from "./random.ts";
import { cumulativeOf, normal, pickCumulative, type Rng } from "../../trace/prng.ts";
import {
  type ReferenceDataOptions,
  type ReferenceScale,
  type ResolvedReferenceDataOptions,
  resolveReferenceDataOptions,
} from "./options.ts";
import {
  barsInDays,
  dayMs,
  lastBarOpen,
  marketSymbols,
  minuteMs,
  nextBarOpen,
  previousBarOpen,
  priceDigits,
  timeframeMs,
} from "./market.ts";
import { type Timeframe, timeframes } from "../timeframes.ts";
import {
  robotTimeframes,
  robotTimeframeWeights,
  type StrategyParams,
  strategyParams,
  type StrategyType,
  strategyTypes,
  strategyTypeWeights,
  styleWords,
} from "./strategy.ts";
import { analysisResult, backtestSettings, messageContent, robotDescription } from "./text.ts";
import { mql5Code } from "./mql5.ts";
import { MinHeap } from "./min_heap.ts";
import { referenceUserEmailDomain } from "../schema/mod.ts";

/** The shapes of the data: named so that tests check what the generator claims. */
export const shape = {
  /** Pareto shape of a user's robot-count weight: smaller is more skewed (1.16 is the 80/20 rule). */
  userWeightAlpha: 1.3,
  /** No single user's weight above this many times the lightest's, so small scales stay plausible. */
  userWeightCap: 150,
  /** Zipf exponent of symbol popularity (robots' symbols and candle depth). */
  symbolZipfExponent: 1.1,
  /** Zipf exponent of robot popularity (view_count of public robots). */
  robotZipfExponent: 1.05,
  /** The share of candles each timeframe gets, before the per-series caps. */
  timeframeShares: { M1: 0.4, M5: 0.25, M15: 0.15, H1: 0.1, H4: 0.06, D1: 0.04 } as Record<Timeframe, number>,
  /** Messages every robot gets (its generating conversation), when the scale has enough of them. */
  minMessagesPerRobot: 2,
  /** Share of robots whose conversation starts with a system prompt. */
  systemPromptFraction: 0.08,
  /** Share of robot names that are duplicates ("Copy of ..."). */
  copyNameFraction: 0.04,
} as const;

/** Independent streams: a new use of randomness gets a new number, so existing data does not shift. */
const stream = {
  users: 1,
  userId: 2,
  robotsPlan: 3,
  robotId: 4,
  robot: 5,
  message: 6,
  systemPrompt: 7,
  candle: 8,
  messagesPlan: 9,
  popularity: 10,
} as const;

export interface UserRow {
  id: string;
  email: string;
  created_at: Date;
}

export interface ChatTurn {
  role: "user" | "assistant" | "system";
  content: string;
  timestamp: string;
}

export interface RobotRow {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  code: string;
  strategy_type: StrategyType;
  strategy_params: StrategyParams;
  backtest_settings: Record<string, unknown> | null;
  analysis_result: Record<string, unknown> | null;
  chat_history: ChatTurn[];
  version: number;
  is_active: boolean;
  is_public: boolean;
  view_count: number;
  copy_count: number;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** robot_messages without id: the identity column numbers them in insertion order. */
export interface MessageRow {
  robot_id: string;
  user_id: string;
  role: "user" | "assistant" | "system";
  content: string;
  created_at: Date;
}

export interface CandleRow {
  symbol: string;
  timeframe: Timeframe;
  open_time: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface CandleSeries {
  symbol: string;
  timeframe: Timeframe;
  bars: number;
}

export interface ReferencePlan {
  options: ResolvedReferenceDataOptions;
  /** Rows each generator yields. */
  counts: ReferenceScale;
  /** Users in signup order. */
  userCreatedAt: Float64Array;
  userRobotCounts: Float64Array;
  /** Robots in creation order (the order generateRobots yields them): owner, per-owner ordinal (1-based). */
  robotUser: Int32Array;
  robotOrdinal: Int32Array;
  robotCreatedAt: Float64Array;
  /** Time of the robot's last chat message (its created_at when it has none). */
  robotLastActivityAt: Float64Array;
  robotMessageCounts: Int32Array;
  /** 0 = the most viewed robot. */
  robotPopularityRank: Int32Array;
  candleSeries: CandleSeries[];
}

const symbolWeights = zipfWeights(marketSymbols.length, shape.symbolZipfExponent);
const symbolSums = cumulativeOf(symbolWeights);
const strategySums = cumulativeOf(strategyTypeWeights);
const timeframeSums = cumulativeOf(robotTimeframeWeights);

function planUsers(
  options: ResolvedReferenceDataOptions,
): { createdAt: Float64Array; weights: Float64Array } {
  const random = streamOf(options.seed, stream.users);
  const { users } = options.scale;
  const nowMs = options.now.getTime();
  const historyMs = options.historyDays * dayMs;
  // Signups accelerate towards now (a growing app): more users joined recently than long ago.
  const createdAt = Float64Array.from(
    { length: users },
    () => Math.floor(nowMs - historyMs * Math.pow(random(), 1.5)),
  ).sort();
  // Heavy users: a Pareto weight, and older accounts have had longer to build robots.
  const weights = Float64Array.from({ length: users }, (_, i) => {
    const age = (nowMs - createdAt[i]) / historyMs;
    return Math.min(pareto(random, shape.userWeightAlpha), shape.userWeightCap) * Math.sqrt(age + 0.05);
  });
  return { createdAt, weights };
}

function planRobots(
  options: ResolvedReferenceDataOptions,
  userCreatedAt: Float64Array,
  robotCounts: Float64Array,
) {
  const random = streamOf(options.seed, stream.robotsPlan);
  const { robots } = options.scale;
  const nowMs = options.now.getTime();
  const owner = new Int32Array(robots);
  const created = new Float64Array(robots);
  let next = 0;
  for (let user = 0; user < robotCounts.length; user++) {
    for (let k = 0; k < robotCounts[user]; k++) {
      owner[next] = user;
      created[next] = Math.floor(userCreatedAt[user] + (nowMs - userCreatedAt[user]) * random());
      next++;
    }
  }
  const order = Array.from({ length: robots }, (_, j) => j).sort((a, b) => created[a] - created[b] || a - b);
  const robotUser = Int32Array.from(order, (j) => owner[j]);
  const robotCreatedAt = Float64Array.from(order, (j) => created[j]);
  const seen = new Int32Array(robotCounts.length);
  const robotOrdinal = Int32Array.from(robotUser, (user) => ++seen[user]);
  return { robotUser, robotCreatedAt, robotOrdinal };
}

function planMessages(options: ResolvedReferenceDataOptions, robotCreatedAt: Float64Array) {
  const random = streamOf(options.seed, stream.messagesPlan);
  const { robots, messages } = options.scale;
  const nowMs = options.now.getTime();
  const minimum = robots === 0 ? 0 : Math.min(shape.minMessagesPerRobot, Math.floor(messages / robots));
  // Older robots have been chatted about for longer: weight by age, with owner-to-owner variation.
  const weights = Float64Array.from(robotCreatedAt, (created) => {
    const ageDays = (nowMs - created) / dayMs;
    return (ageDays + 0.5) * Math.exp(0.7 * normal(random));
  });
  const extra = apportion(messages - minimum * robots, weights);
  const counts = Int32Array.from(extra, (n) => n + minimum);
  const lastActivity = Float64Array.from(robotCreatedAt, (created, j) => {
    if (counts[j] <= 1) return created;
    // The generating conversation takes minutes; longer chats stretch towards now.
    const conversation = counts[j] <= shape.minMessagesPerRobot ? integer(random, 1, 20) * minuteMs : 0;
    const stretch = (nowMs - created) * Math.pow(random(), 0.5);
    return Math.floor(Math.min(nowMs, created + Math.max(conversation, stretch)));
  });
  return { counts, lastActivity };
}

function planCandles(options: ResolvedReferenceDataOptions): CandleSeries[] {
  const series = marketSymbols.flatMap((market, s) =>
    timeframes.map((timeframe) => ({
      symbol: market.symbol,
      timeframe,
      weight: symbolWeights[s] * shape.timeframeShares[timeframe],
      cap: barsInDays(options.candleHistoryDays, timeframe, market.class),
    }))
  );
  const capacity = series.reduce((sum, one) => sum + one.cap, 0);
  if (options.scale.candles > capacity) {
    throw new RangeError(
      `candles must be <= ${capacity} with candleHistoryDays ${options.candleHistoryDays}: got ${options.scale.candles}; raise candleHistoryDays`,
    );
  }
  const bars = apportion(
    options.scale.candles,
    series.map((one) => one.weight),
    series.map((one) => one.cap),
  );
  return series.map((one, i) => ({ symbol: one.symbol, timeframe: one.timeframe, bars: bars[i] }));
}

/** The skeleton of the reference data; throws on invalid options with a message that says what to fix. */
export function planReferenceData(input: ReferenceDataOptions): ReferencePlan {
  const options = resolveReferenceDataOptions(input);
  const users = planUsers(options);
  const userRobotCounts = apportion(options.scale.robots, users.weights);
  const robots = planRobots(options, users.createdAt, userRobotCounts);
  const messages = planMessages(options, robots.robotCreatedAt);
  const popularity = permutation(streamOf(options.seed, stream.popularity), options.scale.robots);
  return {
    options,
    counts: { ...options.scale },
    userCreatedAt: users.createdAt,
    userRobotCounts,
    robotUser: robots.robotUser,
    robotOrdinal: robots.robotOrdinal,
    robotCreatedAt: robots.robotCreatedAt,
    robotLastActivityAt: messages.lastActivity,
    robotMessageCounts: messages.counts,
    robotPopularityRank: popularity,
    candleSeries: planCandles(options),
  };
}

export function userId(plan: ReferencePlan, user: number): string {
  return uuid(streamOf(plan.options.seed, stream.userId, user));
}

/** The id of the robot at position `robot` in creation order. */
export function robotId(plan: ReferencePlan, robot: number): string {
  return uuid(streamOf(plan.options.seed, stream.robotId, robot));
}

export function userEmail(user: number): string {
  return `trader${user + 1}@${referenceUserEmailDomain}`;
}

export function* generateUsers(plan: ReferencePlan): Generator<UserRow> {
  for (let user = 0; user < plan.counts.users; user++) {
    yield { id: userId(plan, user), email: userEmail(user), created_at: new Date(plan.userCreatedAt[user]) };
  }
}

/** What a robot's messages are about: drawn first from the robot's stream, so messages can redraw it. */
function robotSubject(random: Rng): { type: StrategyType; symbol: string; timeframe: Timeframe } {
  return {
    type: strategyTypes[pickCumulative(random, strategySums)],
    symbol: marketSymbols[pickCumulative(random, symbolSums)].symbol,
    timeframe: robotTimeframes[pickCumulative(random, timeframeSums)],
  };
}

function subjectOf(plan: ReferencePlan, robot: number) {
  return robotSubject(streamOf(plan.options.seed, stream.robot, robot));
}

function messageRole(plan: ReferencePlan, robot: number, k: number): ChatTurn["role"] {
  const systemFirst = mixSeed(plan.options.seed, stream.systemPrompt, robot) / 4294967296 <
    shape.systemPromptFraction;
  if (systemFirst && k === 0) return "system";
  return (systemFirst ? k - 1 : k) % 2 === 0 ? "user" : "assistant";
}

/** Message k of a robot's conversation is spread evenly between its creation and its last activity. */
function messageTime(plan: ReferencePlan, robot: number, k: number): number {
  const n = plan.robotMessageCounts[robot];
  const created = plan.robotCreatedAt[robot];
  if (n <= 1) return created;
  return Math.floor(created + ((plan.robotLastActivityAt[robot] - created) * k) / (n - 1));
}

function message(plan: ReferencePlan, robot: number, k: number, symbol: string) {
  const role = messageRole(plan, robot, k);
  const content = messageContent(streamOf(plan.options.seed, stream.message, robot, k), role, symbol);
  return { role, content, createdAt: messageTime(plan, robot, k) };
}

function robotName(random: Rng, type: StrategyType, symbol: string, ordinal: number): string {
  const style = pick(random, styleWords[type]);
  // The per-owner ordinal at the end keeps (user_id, name) unique, like users numbering their drafts.
  const base = chance(random, 0.5) ? `${symbol} ${style} ${ordinal}` : `${style} ${symbol} v${ordinal}`;
  return chance(random, shape.copyNameFraction) ? `Copy of ${base}` : base;
}

function viewCount(plan: ReferencePlan, robot: number, isPublic: boolean, random: Rng): number {
  if (!isPublic) return integer(random, 0, 40);
  const maxViews = Math.max(1_000, plan.counts.robots * 5);
  const zipf = maxViews / Math.pow(plan.robotPopularityRank[robot] + 1, shape.robotZipfExponent);
  return Math.floor(zipf * uniform(random, 0.8, 1.25));
}

/** The robot at position `robot` in creation order. */
export function robotRow(plan: ReferencePlan, robot: number): RobotRow {
  const { options } = plan;
  const random = streamOf(options.seed, stream.robot, robot);
  const { type, symbol, timeframe } = robotSubject(random);
  const user = plan.robotUser[robot];
  const createdAt = plan.robotCreatedAt[robot];
  const lastActivity = plan.robotLastActivityAt[robot];
  const nowMs = options.now.getTime();
  const n = plan.robotMessageCounts[robot];

  const history: ChatTurn[] = [];
  let assistantTurns = 0;
  for (let k = Math.max(0, n - options.recentMessages); k < n; k++) {
    const turn = message(plan, robot, k, symbol);
    history.push({
      role: turn.role,
      content: turn.content,
      timestamp: new Date(turn.createdAt).toISOString(),
    });
  }
  for (let k = 0; k < n; k++) if (messageRole(plan, robot, k) === "assistant") assistantTurns++;

  const draw = random();
  const deleted = draw < options.deletedFraction;
  const inactive = !deleted && draw < options.deletedFraction + options.inactiveFraction;
  const endedAt = deleted || inactive ? Math.floor(uniform(random, lastActivity, nowMs)) : lastActivity;
  const isPublic = chance(random, options.publicFraction);
  const views = viewCount(plan, robot, isPublic, random);
  const version = 1 + assistantTurns;
  const name = robotName(random, type, symbol, plan.robotOrdinal[robot]);
  const params = strategyParams(random, type, symbol, timeframe);
  const created = new Date(createdAt);
  return {
    id: robotId(plan, robot),
    user_id: userId(plan, user),
    name,
    description: robotDescription(random, symbol, type),
    code: mql5Code(random, name, type, params, version),
    strategy_type: type,
    strategy_params: params,
    backtest_settings: backtestSettings(random, symbol, timeframe, created),
    analysis_result: analysisResult(random, created, new Date(endedAt)),
    chat_history: history,
    version,
    is_active: !deleted && !inactive,
    is_public: isPublic,
    view_count: views,
    copy_count: isPublic ? Math.floor(views * uniform(random, 0, 0.05)) : 0,
    deleted_at: deleted ? new Date(endedAt) : null,
    created_at: created,
    updated_at: new Date(endedAt),
  };
}

export function* generateRobots(plan: ReferencePlan): Generator<RobotRow> {
  for (let robot = 0; robot < plan.counts.robots; robot++) yield robotRow(plan, robot);
}

/** Every robot's messages, merged into the order they were sent. */
export function* generateMessages(plan: ReferencePlan): Generator<MessageRow> {
  const robots = plan.counts.robots;
  const cursor = new Int32Array(robots);
  const heap = new MinHeap(robots);
  const symbols: string[] = new Array(robots);
  const ids: string[] = new Array(robots);
  for (let robot = 0; robot < robots; robot++) {
    if (plan.robotMessageCounts[robot] > 0) heap.push(messageTime(plan, robot, 0), robot);
  }
  while (heap.size > 0) {
    const robot = heap.pop();
    const k = cursor[robot]++;
    symbols[robot] ??= subjectOf(plan, robot).symbol;
    ids[robot] ??= robotId(plan, robot);
    const turn = message(plan, robot, k, symbols[robot]);
    yield {
      robot_id: ids[robot],
      user_id: userId(plan, plan.robotUser[robot]),
      role: turn.role,
      content: turn.content,
      created_at: new Date(turn.createdAt),
    };
    if (k + 1 < plan.robotMessageCounts[robot]) heap.push(messageTime(plan, robot, k + 1), robot);
    else {
      delete symbols[robot];
      delete ids[robot];
    }
  }
}

function roundTo(value: number, digits: number): number {
  const factor = Math.pow(10, digits);
  return Math.round(value * factor) / factor;
}

/** One candle series as a random walk: geometric, with volatility scaled to the bar length. */
class CandleWalk {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  #market: (typeof marketSymbols)[number];
  #random: Rng;
  #sigma: number;
  #digits: number;
  #volumeScale: number;
  #remaining: number;
  #close: number;
  openTime: number;

  constructor(seed: number, index: number, series: CandleSeries, nowMs: number) {
    const market = marketSymbols.find((one) => one.symbol === series.symbol)!;
    this.symbol = series.symbol;
    this.timeframe = series.timeframe;
    this.#market = market;
    this.#random = streamOf(seed, stream.candle, index);
    this.#sigma = market.dailyVolatility * Math.sqrt(timeframeMs[series.timeframe] / dayMs);
    this.#digits = priceDigits(market.basePrice);
    this.#volumeScale = Math.pow(timeframeMs[series.timeframe] / minuteMs, 0.8) * 50;
    this.#remaining = series.bars;
    this.#close = market.basePrice * Math.exp(0.1 * normal(this.#random));
    let open = lastBarOpen(nowMs, series.timeframe, market.class);
    for (let i = 1; i < series.bars; i++) open = previousBarOpen(open, series.timeframe, market.class);
    this.openTime = open;
  }

  get done(): boolean {
    return this.#remaining === 0;
  }

  next(): CandleRow {
    const random = this.#random;
    const open = this.#close * Math.exp(0.05 * this.#sigma * normal(random));
    const close = open * Math.exp(this.#sigma * normal(random));
    const high = Math.max(open, close) * Math.exp(0.6 * this.#sigma * Math.abs(normal(random)));
    const low = Math.min(open, close) * Math.exp(-0.6 * this.#sigma * Math.abs(normal(random)));
    const row: CandleRow = {
      symbol: this.symbol,
      timeframe: this.timeframe,
      open_time: new Date(this.openTime),
      open: roundTo(open, this.#digits),
      high: roundTo(high, this.#digits),
      low: roundTo(low, this.#digits),
      close: roundTo(close, this.#digits),
      volume: Math.round(this.#volumeScale * Math.exp(0.5 * normal(random))),
    };
    this.#close = close;
    this.#remaining--;
    this.openTime = nextBarOpen(this.openTime, this.timeframe, this.#market.class);
    return row;
  }
}

/** Every candle series ending at `now`, merged by open time (the order a live feed would store them). */
export function* generateCandles(plan: ReferencePlan): Generator<CandleRow> {
  const nowMs = plan.options.now.getTime();
  const walks = plan.candleSeries.map((series, i) => new CandleWalk(plan.options.seed, i, series, nowMs));
  const heap = new MinHeap(walks.length);
  walks.forEach((walk, i) => {
    if (!walk.done) heap.push(walk.openTime, i);
  });
  while (heap.size > 0) {
    const i = heap.pop();
    yield walks[i].next();
    if (!walks[i].done) heap.push(walks[i].openTime, i);
  }
}

/** Plans and returns the row streams; the convenience entry point. */
export function generateReferenceData(options: ReferenceDataOptions) {
  const plan = planReferenceData(options);
  return {
    plan,
    users: () => generateUsers(plan),
    robots: () => generateRobots(plan),
    messages: () => generateMessages(plan),
    candles: () => generateCandles(plan),
  };
}
