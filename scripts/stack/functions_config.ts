/**
 * Reads the function list and settings from supabase/config.toml `[functions.NAME]` blocks, with the
 * defaults the Supabase CLI uses (enabled, verify_jwt = true, entrypoint ./functions/NAME/index.ts).
 * Paths in the file are relative to the folder holding it (supabase/).
 */
import { parse } from "smol-toml";
import { dirname, resolvePath } from "./paths.ts";

export interface FunctionSettings {
  name: string;
  enabled: boolean;
  verifyJwt: boolean;
  /** Absolute path of the entrypoint module. */
  entrypoint: string;
  /** Absolute path of the import map / deno.json to run with, or null for Deno's own config discovery. */
  importMap: string | null;
}

const functionNamePattern = /^[A-Za-z][A-Za-z0-9_-]*$/;

function setting<T extends string | boolean>(value: unknown, where: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== typeof fallback) {
    throw new Error(`${where} must be a ${typeof fallback}: got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Pure: config.toml text -> settings of every function it declares. */
export function parseFunctionsConfig(tomlText: string, configDir: string): Map<string, FunctionSettings> {
  const doc = parse(tomlText) as Record<string, unknown>;
  const functions = (doc.functions ?? {}) as Record<string, Record<string, unknown>>;
  const result = new Map<string, FunctionSettings>();
  for (const [name, block] of Object.entries(functions)) {
    const where = `[functions.${name}]`;
    if (!functionNamePattern.test(name)) {
      throw new Error(`${where}: function names must match ${functionNamePattern}: got "${name}"`);
    }
    if (typeof block !== "object" || block === null) throw new Error(`${where} must be a table`);
    const entrypoint = setting(block.entrypoint, `${where} entrypoint`, `./functions/${name}/index.ts`);
    const importMap = setting(block.import_map, `${where} import_map`, "");
    result.set(name, {
      name,
      enabled: setting(block.enabled, `${where} enabled`, true),
      verifyJwt: setting(block.verify_jwt, `${where} verify_jwt`, true),
      entrypoint: resolvePath(entrypoint, configDir),
      importMap: importMap === "" ? null : resolvePath(importMap, configDir),
    });
  }
  return result;
}

/**
 * A per-function deno.json takes precedence over import_map, as on hosted; otherwise the configured
 * import map, otherwise none.
 */
export function chooseConfigFile(settings: FunctionSettings, functionDirFiles: string[]): string | null {
  const dir = dirname(settings.entrypoint);
  for (const candidate of ["deno.json", "deno.jsonc"]) {
    if (functionDirFiles.includes(candidate)) return `${dir}/${candidate}`;
  }
  return settings.importMap;
}

/** The config file a function's worker runs with, looking for a deno.json beside its entrypoint. */
export async function functionConfigFile(settings: FunctionSettings): Promise<string | null> {
  const dirFiles: string[] = [];
  for await (const entry of Deno.readDir(dirname(settings.entrypoint))) dirFiles.push(entry.name);
  return chooseConfigFile(settings, dirFiles);
}

export async function loadFunctionsConfig(configPath: string): Promise<Map<string, FunctionSettings>> {
  let text: string;
  try {
    text = await Deno.readTextFile(configPath);
  } catch (error) {
    throw new Error(`cannot read ${configPath}: ${error}`);
  }
  return parseFunctionsConfig(text, dirname(configPath));
}
