import type { Sql } from "../_shared/runtime.ts";

/**
 * QuantForge's robot queries (the traffic list in docs/reference_workload.md), one function per shape. Reads see what the
 * app's row level security lets a user see: their own rows, and public rows that are not deleted. The
 * function connects as a privileged role, so that rule is written into each statement.
 */

export type Row = Record<string, unknown>;

export const strategyTypes = ["Trend", "Scalping", "Grid", "Martingale", "Custom"] as const;
export type StrategyType = typeof strategyTypes[number];

/** The dashboard shows at most this many robots. */
export const dashboardLimit = 100;
export const searchPageSize = 20;
export const recentPageSize = 20;
/** The longest name the table allows (robots.name check constraint). */
const maxNameLength = 255;
const copyPrefix = "Copy of ";
/** unique_violation: another robot of the user already has the name. */
const uniqueViolation = "23505";

export interface NewRobot {
  name: string;
  description?: string | null;
  code: string;
  strategy_type?: StrategyType;
  strategy_params?: Record<string, unknown>;
  backtest_settings?: unknown;
  analysis_result?: unknown;
  chat_history?: unknown[];
  is_public?: boolean;
}

export interface RobotUpdate {
  code: string;
  strategy_params: Record<string, unknown>;
  chat_history: unknown[];
}

export interface SearchQuery {
  term: string;
  strategy?: StrategyType;
  page: number;
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === uniqueViolation;
}

/** `%term%` with LIKE's wildcards in the term taken literally. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** The duplicate's name, cut so that it still fits the column. */
export function copyName(name: string, suffix = ""): string {
  return `${copyPrefix}${name}`.slice(0, maxNameLength - suffix.length) + suffix;
}

export function createRobotStore(sql: Sql) {
  const visibleTo = (userId: string) => sql`(user_id = ${userId} or (is_public and deleted_at is null))`;
  const json = (value: unknown) => sql.json(value as Parameters<Sql["json"]>[0]);

  const create = async (userId: string, robot: NewRobot): Promise<Row> => {
    const [row] = await sql<Row[]>`
      insert into public.robots (
        user_id, name, description, code, strategy_type, strategy_params, backtest_settings,
        analysis_result, chat_history, is_public
      ) values (
        ${userId}, ${robot.name}, ${robot.description ?? null}, ${robot.code},
        ${robot.strategy_type ?? "Custom"}, ${json(robot.strategy_params ?? {})},
        ${robot.backtest_settings === undefined ? null : json(robot.backtest_settings)},
        ${robot.analysis_result === undefined ? null : json(robot.analysis_result)},
        ${json(robot.chat_history ?? [])}, ${robot.is_public ?? false}
      )
      returning *`;
    return row;
  };

  return {
    /** Dashboard: every column (code and whole chat histories included), newest first. */
    list: (userId: string) =>
      sql<Row[]>`
        select * from public.robots
        where ${visibleTo(userId)} and is_active = true and deleted_at is null
        order by created_at desc
        limit ${dashboardLimit}`,

    get: async (userId: string, id: string): Promise<Row | null> => {
      const [row] = await sql<Row[]>`
        select * from public.robots
        where id = ${id} and deleted_at is null and ${visibleTo(userId)}`;
      return row ?? null;
    },

    /** One page of ILIKE matches on name or description, newest first, with the exact total. */
    search: async (userId: string, query: SearchQuery): Promise<{ rows: Row[]; total: number }> => {
      const pattern = containsPattern(query.term);
      const where = sql`
        ${visibleTo(userId)} and deleted_at is null
        ${query.strategy ? sql`and strategy_type = ${query.strategy}` : sql``}
        and (name ilike ${pattern} or description ilike ${pattern})`;
      const [rows, [{ total }]] = await Promise.all([
        sql<Row[]>`
          select * from public.robots where ${where}
          order by created_at desc
          limit ${searchPageSize} offset ${(query.page - 1) * searchPageSize}`,
        sql<{ total: number }[]>`select count(*)::int as total from public.robots where ${where}`,
      ]);
      return { rows, total };
    },

    recent: (userId: string, page: number) =>
      sql<Row[]>`
        select * from public.robots
        where user_id = ${userId} and deleted_at is null
        order by updated_at desc
        limit ${recentPageSize} offset ${(page - 1) * recentPageSize}`,

    byIds: (userId: string, ids: string[]) =>
      sql<Row[]>`
        select * from public.robots
        where id = any(${ids}::uuid[]) and user_id = ${userId} and deleted_at is null`,

    count: async (userId: string): Promise<number> => {
      const [{ count }] = await sql<{ count: number }[]>`
        select count(*)::int as count from public.robots where ${visibleTo(userId)} and deleted_at is null`;
      return count;
    },

    strategyTypes: async (userId: string): Promise<string[]> => {
      const rows = await sql<{ strategy_type: string }[]>`
        select distinct strategy_type from public.robots
        where ${visibleTo(userId)} and deleted_at is null
        order by strategy_type`;
      return rows.map((row) => row.strategy_type);
    },

    health: async (): Promise<boolean> => {
      await sql`select id from public.robots limit 1`;
      return true;
    },

    exportAll: (userId: string) =>
      sql<Row[]>`
        select * from public.robots
        where user_id = ${userId} and deleted_at is null
        order by created_at`,

    create,

    /** Every save rewrites code, params and the whole chat array, as the app does. */
    update: async (userId: string, id: string, update: RobotUpdate): Promise<Row | null> => {
      const [row] = await sql<Row[]>`
        update public.robots
        set code = ${update.code}, strategy_params = ${json(update.strategy_params)},
          chat_history = ${json(update.chat_history)}, updated_at = now()
        where id = ${id} and user_id = ${userId} and deleted_at is null
        returning *`;
      return row ?? null;
    },

    softDelete: async (userId: string, id: string): Promise<boolean> => {
      const rows = await sql`
        update public.robots set is_active = false, deleted_at = now()
        where id = ${id} and user_id = ${userId} and deleted_at is null
        returning id`;
      return rows.length > 0;
    },

    /**
     * Fetches an active robot the user may see and inserts a copy they own. A second copy of the same robot
     * would repeat the name, which is unique per user, so it gets a short random suffix instead.
     */
    duplicate: async (userId: string, id: string): Promise<Row | null> => {
      const [source] = await sql<Row[]>`
        select * from public.robots
        where id = ${id} and is_active = true and deleted_at is null and ${visibleTo(userId)}`;
      if (!source) return null;
      const copy = (name: string): NewRobot => ({
        name,
        description: source.description as string | null,
        code: source.code as string,
        strategy_type: source.strategy_type as StrategyType,
        strategy_params: source.strategy_params as Record<string, unknown>,
        backtest_settings: source.backtest_settings ?? undefined,
        analysis_result: source.analysis_result ?? undefined,
        chat_history: source.chat_history as unknown[],
      });
      try {
        return await create(userId, copy(copyName(source.name as string)));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const suffix = ` (${crypto.randomUUID().slice(0, 8)})`;
        return await create(userId, copy(copyName(source.name as string, suffix)));
      }
    },
  };
}

export type RobotStore = ReturnType<typeof createRobotStore>;
