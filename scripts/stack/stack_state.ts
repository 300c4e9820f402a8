/**
 * `.stack/stack.json`: which process runs the stack. Created exclusively, so two starts cannot both win;
 * a file left by a dead process (kill -9, crash) is recognised and replaced.
 */
import process from "node:process";
import { exists } from "./paths.ts";

export interface StackState {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it. */
  processStart: string | null;
  url: string | null;
  startedAt: string;
}

export function statePath(stackDir: string): string {
  return `${stackDir}/stack.json`;
}

/** Field 22 of /proc/<pid>/stat (start time), or null where /proc is missing. */
export async function processStartTime(pid: number): Promise<string | null> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  if (stat === null) return null;
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

/**
 * Whether the pid is still the process that wrote the state: alive, a Deno process, and (on Linux) started
 * at the recorded time, since pids get reused.
 */
export async function isStackProcess(pid: number, processStart: string | null = null): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!(await exists("/proc/self/stat"))) return true;
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  if (!cmdline.includes("deno")) return false;
  return processStart === null || (await processStartTime(pid)) === processStart;
}

export async function readState(stackDir: string): Promise<StackState | null> {
  try {
    return JSON.parse(await Deno.readTextFile(statePath(stackDir))) as StackState;
  } catch {
    return null;
  }
}

export interface RunningInfo {
  running: boolean;
  pid?: number;
  processStart?: string | null;
  url?: string | null;
}

export async function runningStack(stackDir: string): Promise<RunningInfo> {
  const state = await readState(stackDir);
  if (!state) return { running: false };
  if (!(await isStackProcess(state.pid, state.processStart ?? null))) return { running: false };
  return { running: true, pid: state.pid, processStart: state.processStart ?? null, url: state.url };
}

/** Claims the stack for this process; throws if another live process holds it. */
export async function claimState(stackDir: string): Promise<void> {
  await Deno.mkdir(stackDir, { recursive: true });
  const state: StackState = {
    pid: Deno.pid,
    processStart: await processStartTime(Deno.pid),
    url: null,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(statePath(stackDir), JSON.stringify(state) + "\n", { createNew: true });
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = await readState(stackDir);
    if (holder && holder.pid !== Deno.pid && await isStackProcess(holder.pid, holder.processStart ?? null)) {
      throw new Error(
        `a stack is already running (pid ${holder.pid}${
          holder.url ? `, ${holder.url}` : ", still starting"
        }): ` +
          "use it, or stop it with `npm run stop`",
      );
    }
    await Deno.remove(statePath(stackDir)).catch(() => {});
  }
  throw new Error(`could not claim ${statePath(stackDir)}: another start is racing this one`);
}

export async function updateState(stackDir: string, url: string): Promise<void> {
  const state = await readState(stackDir);
  if (state?.pid !== Deno.pid) return;
  await Deno.writeTextFile(statePath(stackDir), JSON.stringify({ ...state, url }) + "\n");
}

/** Removes the state file if this process owns it. */
export async function releaseState(stackDir: string): Promise<void> {
  const state = await readState(stackDir);
  if (state?.pid === Deno.pid) await Deno.remove(statePath(stackDir)).catch(() => {});
}
