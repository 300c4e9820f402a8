/**
 * Resolves and caches every function's whole module graph (npm packages included) before a gateway says
 * ready, in a `deno cache` child that has the stack's own environment. A worker's cold start then never
 * downloads anything: it is a boot, as on hosted, where functions are bundled at deploy time. And a
 * download that fails (an untrusted proxy certificate, no route to the registry) stops the start with a
 * message naming the variable that fixes it, instead of every worker failing later with 503.
 */
import { explainDownloadFailure } from "./download_failure.ts";
import { functionConfigFile, loadFunctionsConfig } from "./functions_config.ts";
import { exists, toFileUrl } from "./paths.ts";
import { bootstrapPath, moduleGraphFlags, workerCwd } from "./worker.ts";

export interface CacheGroup {
  /** Where the workers run (Deno discovers deno.json and deno.lock from there). */
  cwd: string;
  /** Resolution flags shared by the group (see moduleGraphFlags). */
  flags: string[];
  /** Module URLs: the worker bootstrap and the entrypoints. */
  modules: string[];
}

export interface FunctionModule {
  cwd: string;
  configFile: string | null;
  entrypoint: string;
}

export interface CacheOptions {
  /** config.toml files whose functions are cached. */
  configPaths: string[];
  /** Variables set for `deno cache` on top of the stack's environment (tests point DENO_DIR elsewhere). */
  env?: Record<string, string>;
  log: (line: string) => void;
}

/** Pure: one group per way of resolving imports, so that a single `deno cache` covers each. */
export function cacheGroups(functions: FunctionModule[]): CacheGroup[] {
  const groups = new Map<string, CacheGroup>();
  for (const fn of functions) {
    const flags = moduleGraphFlags(fn.configFile);
    const key = JSON.stringify([fn.cwd, flags]);
    let group = groups.get(key);
    if (!group) {
      group = { cwd: fn.cwd, flags, modules: [toFileUrl(bootstrapPath)] };
      groups.set(key, group);
    }
    const module = toFileUrl(fn.entrypoint);
    if (!group.modules.includes(module)) group.modules.push(module);
  }
  return [...groups.values()];
}

/** The enabled functions of a config.toml (a disabled one is never served, so it may even be missing). */
async function functionModules(configPath: string): Promise<FunctionModule[]> {
  const modules: FunctionModule[] = [];
  for (const settings of (await loadFunctionsConfig(configPath)).values()) {
    if (!settings.enabled) continue;
    if (!(await exists(settings.entrypoint))) {
      throw new Error(
        `[functions.${settings.name}] in ${configPath}: entrypoint ${settings.entrypoint} does not exist`,
      );
    }
    modules.push({
      cwd: workerCwd(configPath),
      configFile: await functionConfigFile(settings),
      entrypoint: settings.entrypoint,
    });
  }
  return modules;
}

async function cacheGroup(group: CacheGroup, env: Record<string, string>): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["cache", ...group.flags, ...group.modules],
    cwd: group.cwd,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  if (output.success) return text;
  const failure = explainDownloadFailure(text, { ...Deno.env.toObject(), ...env });
  // Deno's own error, without the progress lines before it or a Rust backtrace (RUST_BACKTRACE) after it.
  const lines = text.split("\nStack backtrace:")[0].trim().split("\n")
    .filter((line) => !line.startsWith("Download "));
  throw new Error(
    [
      `caching the functions' modules failed${failure.hint ? `: ${failure.hint}` : ""}`,
      `deno cache ${group.flags.join(" ")} (in ${group.cwd}) said:`,
      ...lines.slice(-12).map((line) => `  ${line}`),
    ].join("\n"),
  );
}

/** Caches the module graph of every function in the config files; throws with a fix when a download fails. */
export async function cacheFunctionGraphs(options: CacheOptions): Promise<void> {
  const began = performance.now();
  const functions = (await Promise.all(options.configPaths.map(functionModules))).flat();
  const outputs = await Promise.all(
    cacheGroups(functions).map((group) => cacheGroup(group, options.env ?? {})),
  );
  const downloads = outputs.join("\n").split("\n").filter((line) => line.startsWith("Download ")).length;
  if (downloads > 0) {
    options.log(
      `[stack] cached the modules of ${functions.length} functions: ${downloads} downloads in ` +
        `${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
  }
}
