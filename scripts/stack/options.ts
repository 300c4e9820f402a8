/**
 * Options of the local stack and of a functions gateway, with their defaults in one place. Everything is
 * validated before anything starts, so a bad value fails with a message that says what to change.
 */
import { fromFileUrl, resolvePath } from "./paths.ts";

export interface GatewayOptions {
  /** Port of the gateway on 127.0.0.1 (0 picks a free one). */
  port: number;
  /** supabase/config.toml whose [functions.NAME] blocks list the functions; paths in it are relative to its folder. */
  configPath: string;
  /** dotenv file whose variables every function gets (like `supabase secrets set`); optional. */
  functionsEnvPath: string;
  /** Folder with keys.json (generated there if missing). */
  stackDir: string;
  /** Direct Postgres URL given to functions as SUPABASE_DB_URL. */
  dbUrl: string;
  /** A worker serving no request for this long is retired. */
  workerIdleTimeoutS: number;
  /** A worker is retired this long after it started, busy or not (hosted: 150 s on Free). */
  workerMaxLifetimeS: number;
  /** How long a cold start may take before the request fails with 503 (modules are cached before the gateway listens). */
  workerBootTimeoutS: number;
  /** Forwarded worker output goes here; defaults to the stack's stdout / stderr. */
  log: (line: string) => void;
}

export interface StackOptions {
  repoDir: string;
  stackDir: string;
  pgPort: number;
  gatewayPort: number;
  workerIdleTimeoutS: number;
  workerMaxLifetimeS: number;
  workerBootTimeoutS: number;
  /** Install missing Debian packages with apt-get when running as root. */
  installPackages: boolean;
  log: (line: string) => void;
}

export const repoRoot = resolvePath(fromFileUrl(new URL("../../", import.meta.url)));

export const stackDefaults: StackOptions = {
  repoDir: repoRoot,
  stackDir: `${repoRoot}/.stack`,
  pgPort: 54322,
  gatewayPort: 54321,
  workerIdleTimeoutS: 60,
  workerMaxLifetimeS: 150,
  workerBootTimeoutS: 60,
  installPackages: true,
  log: (line) => console.log(line),
};

export function dbUrlFor(port: number): string {
  return `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
}

export function gatewayDefaults(stack: StackOptions = stackDefaults): GatewayOptions {
  return {
    port: stack.gatewayPort,
    configPath: `${stack.repoDir}/supabase/config.toml`,
    functionsEnvPath: `${stack.repoDir}/supabase/functions/.env`,
    stackDir: stack.stackDir,
    dbUrl: dbUrlFor(stack.pgPort),
    workerIdleTimeoutS: stack.workerIdleTimeoutS,
    workerMaxLifetimeS: stack.workerMaxLifetimeS,
    workerBootTimeoutS: stack.workerBootTimeoutS,
    log: stack.log,
  };
}

function checkPort(name: string, value: number, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > 65535) {
    throw new Error(`${name} must be an integer between ${min} and 65535: got ${value}`);
  }
}

function checkSeconds(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a number of seconds > 0: got ${value}`);
  }
}

export function resolveStackOptions(options: Partial<StackOptions> = {}): StackOptions {
  const merged = { ...stackDefaults, ...options };
  if (options.repoDir && !options.stackDir) merged.stackDir = `${options.repoDir}/.stack`;
  checkPort("pgPort", merged.pgPort, false);
  checkPort("gatewayPort", merged.gatewayPort, false);
  checkSeconds("workerIdleTimeoutS", merged.workerIdleTimeoutS);
  checkSeconds("workerMaxLifetimeS", merged.workerMaxLifetimeS);
  checkSeconds("workerBootTimeoutS", merged.workerBootTimeoutS);
  merged.repoDir = resolvePath(merged.repoDir);
  merged.stackDir = resolvePath(merged.stackDir);
  return merged;
}

export function resolveGatewayOptions(options: Partial<GatewayOptions> = {}): GatewayOptions {
  const merged = { ...gatewayDefaults(), ...options };
  checkPort("port", merged.port, true);
  checkSeconds("workerIdleTimeoutS", merged.workerIdleTimeoutS);
  checkSeconds("workerMaxLifetimeS", merged.workerMaxLifetimeS);
  checkSeconds("workerBootTimeoutS", merged.workerBootTimeoutS);
  merged.configPath = resolvePath(merged.configPath);
  merged.functionsEnvPath = resolvePath(merged.functionsEnvPath);
  merged.stackDir = resolvePath(merged.stackDir);
  return merged;
}

/**
 * Reads the overrides of `npm start`, the tests and the benchmarks from the environment:
 * STACK_WORKER_IDLE_TIMEOUT_S, STACK_WORKER_MAX_LIFETIME_S, and STACK_PG_PORT / STACK_GATEWAY_PORT (to run a
 * second checkout's stack beside the first).
 */
export function stackOptionsFromEnv(env: Record<string, string | undefined>): Partial<StackOptions> {
  const options: Partial<StackOptions> = {};
  const port = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error(`${name} must be a port between 1 and 65535: got "${raw}"`);
    }
    return value;
  };
  const pgPort = port("STACK_PG_PORT");
  const gatewayPort = port("STACK_GATEWAY_PORT");
  if (pgPort !== undefined) options.pgPort = pgPort;
  if (gatewayPort !== undefined) options.gatewayPort = gatewayPort;
  const seconds = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a number of seconds > 0: got "${raw}"`);
    }
    return value;
  };
  const idle = seconds("STACK_WORKER_IDLE_TIMEOUT_S");
  const lifetime = seconds("STACK_WORKER_MAX_LIFETIME_S");
  if (idle !== undefined) options.workerIdleTimeoutS = idle;
  if (lifetime !== undefined) options.workerMaxLifetimeS = lifetime;
  return options;
}
