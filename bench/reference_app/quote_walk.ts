import { normalFromUniforms } from "../trace/prng.ts";
import { type Timeframe, timeframeSeconds } from "./timeframes.ts";
/**
 * Deterministic market quotes for the upstream quote server: the same seed, symbol and time always give the
 * same price, any time can be asked in O(log n) without replaying history, and the price moves like a random
 * walk. The log-price is a Brownian bridge over windows of 2^17 s (about 36 h) pinned to the symbol's base
 * price at both ends, built by Lévy's midpoint construction from hashed Gaussians.
 */

export interface Quote {
  symbol: string;
  timeframe: Timeframe;
  /** ISO time the quote is for. */
  time: string;
  price: number;
  bid: number;
  ask: number;
  /** Price when the current bar of `timeframe` opened. */
  open: number;
  changePct: number;
}

const windowLevels = 17;
const windowSeconds = 2 ** windowLevels;
const secondsPerDay = timeframeSeconds.D1;

/** How a symbol trades: its usual price and the standard deviation of its log-price over a day. */
export interface SymbolMarket {
  basePrice: number;
  dailyVolatility: number;
}

/** For symbols the caller does not describe: about 3 % a day around a hashed base price. */
const defaultDailyVolatility = 0.03;
const spreadFraction = 1e-4;

/** 32-bit FNV-1a of a string. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform in (0, 1) from integer coordinates (splitmix-style finaliser over 32-bit lanes). */
function hashedUniform(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b ^ 0xc2b2ae35, 0x27d4eb2f) ^
    Math.imul(c, 0x165667b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4294967296;
}

function hashedGaussian(key: number, window: number, node: number): number {
  return normalFromUniforms(hashedUniform(key, window, node * 2), hashedUniform(key, window, node * 2 + 1));
}

/** A base price for an undescribed symbol: between 0.5 and 500, log-uniform, fixed per seed and symbol. */
export function hashedBasePrice(seed: number, symbol: string): number {
  const u = hashedUniform(seed >>> 0, hashString(symbol), 0x5eed);
  return Number((0.5 * 1000 ** u).toPrecision(6));
}

/** The bridge's value (in units of one second's standard deviation) at whole second `second` since the epoch. */
function bridge(key: number, second: number): number {
  const window = Math.floor(second / windowSeconds);
  const offset = second - window * windowSeconds;
  let lo = 0;
  let hi = windowSeconds;
  let low = 0;
  let high = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) / 2;
    // Each midpoint of the dyadic construction is a unique node, so it keys its own Gaussian.
    const value = (low + high) / 2 + hashedGaussian(key, window, mid) * Math.sqrt((hi - lo) / 4);
    if (offset < mid) {
      hi = mid;
      high = value;
    } else {
      lo = mid;
      low = value;
    }
  }
  // The loop ends with hi = lo + 1 and lo <= offset < hi, so offset is lo.
  return low;
}

/** The price of `symbol` at `timeMs` (epoch ms), to 6 significant digits. */
export function priceAt(seed: number, symbol: string, timeMs: number, market?: SymbolMarket): number {
  const key = (hashString(symbol) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  const walk = bridge(key, Math.floor(timeMs / 1000));
  const base = market?.basePrice ?? hashedBasePrice(seed, symbol);
  const perSqrtSecond = (market?.dailyVolatility ?? defaultDailyVolatility) / Math.sqrt(secondsPerDay);
  return Number((base * Math.exp(perSqrtSecond * walk)).toPrecision(6));
}

export function quoteAt(
  seed: number,
  symbol: string,
  timeframe: Timeframe,
  timeMs: number,
  market?: SymbolMarket,
): Quote {
  const price = priceAt(seed, symbol, timeMs, market);
  const barMs = timeframeSeconds[timeframe] * 1000;
  const open = priceAt(seed, symbol, Math.floor(timeMs / barMs) * barMs, market);
  const halfSpread = (price * spreadFraction) / 2;
  return {
    symbol,
    timeframe,
    time: new Date(timeMs).toISOString(),
    price,
    bid: Number((price - halfSpread).toPrecision(6)),
    ask: Number((price + halfSpread).toPrecision(6)),
    open,
    changePct: Number((((price - open) / open) * 100).toFixed(4)),
  };
}
