/**
 * Options of the reference data generator: named scales, defaults in one place, validated early.
 */

export interface ReferenceScale {
  users: number;
  robots: number;
  messages: number;
  candles: number;
}

export const referenceScales = {
  /** The test default: loads in seconds. */
  small: { users: 50, robots: 500, messages: 5_000, candles: 20_000 },
  medium: { users: 2_000, robots: 20_000, messages: 200_000, candles: 500_000 },
  /** A large run's minimum sizes (docs/reference_workload.md): 200k robots, 2M messages, 5M candles. */
  large: { users: 20_000, robots: 200_000, messages: 2_000_000, candles: 5_000_000 },
} as const satisfies Record<string, ReferenceScale>;

export type ScaleName = keyof typeof referenceScales;

/** Per robot, when the scale is given as a robot count: the large scale's proportions. */
export const perRobot = { users: 0.1, messages: 10, candles: 25 } as const;

export interface ReferenceDataOptions {
  seed?: number;
  /** A named scale, a robot count (the other counts follow perRobot), or every count. */
  scale?: ScaleName | number | ReferenceScale;
  /** The end of the generated history: robots, messages and candles are all at or before it. */
  now: Date | string;
  /** How far back users and robots were created. */
  historyDays?: number;
  /** The longest candle history of any series. */
  candleHistoryDays?: number;
  publicFraction?: number;
  /** Soft-deleted robots (is_active false, deleted_at set). */
  deletedFraction?: number;
  /** Robots switched off by their owner but not deleted. */
  inactiveFraction?: number;
  /** How many of the latest messages robots.chat_history keeps. */
  recentMessages?: number;
}

export const referenceDataDefaults = {
  seed: 1,
  scale: "small" as ScaleName,
  historyDays: 180,
  candleHistoryDays: 3650,
  publicFraction: 0.1,
  deletedFraction: 0.05,
  inactiveFraction: 0.07,
  recentMessages: 40,
} as const;

export interface ResolvedReferenceDataOptions {
  seed: number;
  scaleName: ScaleName | "custom";
  scale: ReferenceScale;
  now: Date;
  historyDays: number;
  candleHistoryDays: number;
  publicFraction: number;
  deletedFraction: number;
  inactiveFraction: number;
  recentMessages: number;
}

function wholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number between ${min} and ${max}: got ${value}`);
  }
  return value;
}

function fraction(name: string, value: number): number {
  if (!(typeof value === "number" && value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be between 0 and 1: got ${value}`);
  }
  return value;
}

/** Parses a CLI-style scale: a scale name or a robot count. */
export function parseScale(raw: string): ScaleName | number {
  if (raw in referenceScales) return raw as ScaleName;
  const robots = Number(raw);
  if (!Number.isInteger(robots) || robots < 1) {
    throw new RangeError(
      `scale must be ${Object.keys(referenceScales).join(", ")} or a robot count >= 1: got '${raw}'`,
    );
  }
  return robots;
}

function resolveScale(scale: ScaleName | number | ReferenceScale): {
  name: ScaleName | "custom";
  counts: ReferenceScale;
} {
  if (typeof scale === "string") {
    if (!(scale in referenceScales)) {
      throw new RangeError(
        `scale must be ${Object.keys(referenceScales).join(", ")} or a robot count >= 1: got '${scale}'`,
      );
    }
    return { name: scale, counts: { ...referenceScales[scale] } };
  }
  if (typeof scale === "number") {
    const robots = wholeNumber("scale (robot count)", scale, 1);
    return {
      name: "custom",
      counts: {
        users: Math.max(1, Math.ceil(robots * perRobot.users)),
        robots,
        messages: robots * perRobot.messages,
        candles: robots * perRobot.candles,
      },
    };
  }
  return {
    name: "custom",
    counts: {
      users: wholeNumber("scale.users", scale.users, 1),
      robots: wholeNumber("scale.robots", scale.robots, 0),
      messages: wholeNumber("scale.messages", scale.messages, 0),
      candles: wholeNumber("scale.candles", scale.candles, 0),
    },
  };
}

export function resolveReferenceDataOptions(options: ReferenceDataOptions): ResolvedReferenceDataOptions {
  const now = new Date(options.now);
  if (options.now === undefined || Number.isNaN(now.getTime())) {
    throw new RangeError(`now must be a date or an ISO timestamp: got ${options.now}`);
  }
  const merged = { ...referenceDataDefaults, ...options };
  const scale = resolveScale(merged.scale);
  if (scale.counts.messages > 0 && scale.counts.robots === 0) {
    throw new RangeError(
      `messages need robots to belong to: got ${scale.counts.messages} messages, 0 robots`,
    );
  }
  const deletedFraction = fraction("deletedFraction", merged.deletedFraction);
  const inactiveFraction = fraction("inactiveFraction", merged.inactiveFraction);
  if (deletedFraction + inactiveFraction > 1) {
    throw new RangeError(
      `deletedFraction + inactiveFraction must be <= 1: got ${deletedFraction} + ${inactiveFraction}`,
    );
  }
  return {
    seed: wholeNumber("seed", merged.seed, 0, 0xffffffff),
    scaleName: scale.name,
    scale: scale.counts,
    now,
    historyDays: wholeNumber("historyDays", merged.historyDays, 1),
    candleHistoryDays: wholeNumber("candleHistoryDays", merged.candleHistoryDays, 1),
    publicFraction: fraction("publicFraction", merged.publicFraction),
    deletedFraction,
    inactiveFraction,
    recentMessages: wholeNumber("recentMessages", merged.recentMessages, 0),
  };
}
