/**
 * One function worker: its own `deno run` process (a real cold start), booted through worker_bootstrap.ts,
 * serving on the port it announces. Output is forwarded line by line with a `[fn:NAME]` prefix.
 */
import { dirname, fromFileUrl, toFileUrl } from "./paths.ts";
import { parsePortAnnouncement } from "./worker_protocol.ts";

export type WorkerState = "booting" | "ready" | "retiring" | "exited";

export interface WorkerSpawnSpec {
  id: string;
  functionName: string;
  entrypoint: string;
  /** deno.json (passed as --config) or an import map (--import-map), or null. */
  configFile: string | null;
  cwd: string;
  env: Record<string, string>;
  bootTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * How long a terminated worker may take to finish its EdgeRuntime.waitUntil work before SIGKILL: longer than
 * worker_bootstrap.ts's own grace (12 s), so the worker always exits by itself with its metrics sent.
 */
export const killGraceMs = 15_000;

export const bootstrapPath = fromFileUrl(new URL("./worker_bootstrap.ts", import.meta.url));

/** The folder a config.toml's workers run in (the project root above its supabase/ folder). */
export function workerCwd(configPath: string): string {
  return dirname(dirname(configPath));
}

/** How a function's imports resolve: the flags its worker runs with, and its module graph is cached with. */
export function moduleGraphFlags(configFile: string | null): string[] {
  if (configFile && /deno\.jsonc?$/.test(configFile)) return ["--config", configFile];
  // Only the import map, as on hosted: a discovered deno.json would be ignored with a warning anyway.
  // --no-config also skips package.json, so npm: imports come from Deno's global cache.
  if (configFile) return ["--no-config", "--node-modules-dir=none", "--import-map", configFile];
  return [];
}

export function workerArgs(spec: Pick<WorkerSpawnSpec, "entrypoint" | "configFile">): string[] {
  return [
    "run",
    "-A",
    "--no-prompt",
    ...moduleGraphFlags(spec.configFile),
    bootstrapPath,
    toFileUrl(spec.entrypoint),
  ];
}

export class Worker {
  readonly id: string;
  readonly functionName: string;
  readonly startedAt = Date.now();
  state: WorkerState = "booting";
  port: number | null = null;
  inFlight = 0;
  requests = 0;
  lastActiveAt = Date.now();
  /** Settles when the server is listening; rejects if the process dies or the boot times out first. */
  readonly ready: Promise<void>;
  /** Settles with the exit code once the process has exited. */
  readonly exited: Promise<number>;
  readonly #child: Deno.ChildProcess;

  constructor(spec: WorkerSpawnSpec) {
    this.id = spec.id;
    this.functionName = spec.functionName;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: workerArgs(spec),
      cwd: spec.cwd,
      env: spec.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const prefix = `[fn:${spec.functionName}]`;
    let announce!: (port: number) => void;
    const announced = new Promise<number>((resolve) => (announce = resolve));
    void forwardLines(this.#child.stdout, (line) => {
      const port = parsePortAnnouncement(line);
      if (port !== null && this.port === null) announce(port);
      else spec.log(`${prefix} ${line}`);
    });
    void forwardLines(this.#child.stderr, (line) => spec.log(`${prefix} ${line}`));
    this.exited = this.#child.status.then((status) => {
      this.state = "exited";
      return status.code;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.ready = Promise.race([
      announced.then((port) => {
        this.port = port;
        if (this.state === "booting") this.state = "ready";
      }),
      this.exited.then((code) => {
        throw new Error(
          `worker for function "${spec.functionName}" exited with code ${code} before listening`,
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`worker for "${spec.functionName}" did not listen within ${spec.bootTimeoutMs} ms`),
            ),
          spec.bootTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    this.ready.catch(() => this.kill());
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** SIGTERM, then SIGKILL if the process is still there after graceMs. */
  async kill(graceMs = killGraceMs): Promise<void> {
    if (this.state === "exited") return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited.then(() => {}), forced]);
    clearTimeout(timer);
    await this.exited;
  }
}

async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    }
  } catch {
    // The process was killed while writing; what it printed so far has been forwarded.
  }
  if (buffered) onLine(buffered);
}
