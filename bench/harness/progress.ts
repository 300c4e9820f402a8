/**
 * Progress of a long run: the phase, the time elapsed and an estimate of the time left. The estimate is the
 * plan's expected durations of what remains, scaled by how fast the finished phases went against theirs.
 */

export interface PlannedPhase {
  name: string;
  expectedSeconds: number;
}

export interface ProgressState {
  plan: PlannedPhase[];
  /** Index of the running phase in plan. */
  current: number;
  startedMs: number;
  phaseStartedMs: number;
  /** Actual seconds each finished phase took, by index. */
  finishedSeconds: number[];
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Seconds left: expected remaining work times the pace (actual / expected) of the phases done so far. */
export function estimateSecondsLeft(state: ProgressState, nowMs: number): number {
  const done = state.finishedSeconds.slice(0, state.current);
  const expectedDone = state.plan.slice(0, state.current).reduce((sum, p) => sum + p.expectedSeconds, 0);
  const actualDone = done.reduce((sum, s) => sum + s, 0);
  const pace = expectedDone > 0 && actualDone > 0 ? actualDone / expectedDone : 1;
  const phase = state.plan[state.current];
  const inPhase = (nowMs - state.phaseStartedMs) / 1000;
  const currentLeft = phase ? Math.max(0, phase.expectedSeconds * pace - inPhase) : 0;
  const later = state.plan.slice(state.current + 1).reduce((sum, p) => sum + p.expectedSeconds, 0);
  return currentLeft + later * pace;
}

export function progressLine(state: ProgressState, nowMs: number, detail = ""): string {
  const phase = state.plan[state.current];
  const elapsed = (nowMs - state.startedMs) / 1000;
  return `[${state.current + 1}/${state.plan.length} ${phase?.name ?? "done"}${
    detail ? `: ${detail}` : ""
  }] ` +
    `elapsed ${clock(elapsed)}, about ${clock(estimateSecondsLeft(state, nowMs))} left`;
}

export interface Progress {
  /** Starts the named phase (it must be in the plan), finishing the one before. */
  phase(name: string): void;
  /** Shows a detail of the running phase, e.g. "1,200 / 9,000 requests". */
  detail(text: string): void;
  finish(): void;
}

/**
 * Prints progress to stderr: on a terminal one line rewritten in place, elsewhere (CI logs) a line per phase
 * and at most one every 15 s.
 */
export function createProgress(
  plan: PlannedPhase[],
  write: (text: string) => void = (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  interactive = Deno.stderr.isTerminal(),
  now: () => number = () => Date.now(),
): Progress {
  if (plan.length === 0) throw new Error("plan must name at least one phase");
  const state: ProgressState = {
    plan,
    current: 0,
    startedMs: now(),
    phaseStartedMs: now(),
    finishedSeconds: [],
  };
  let lastPrinted = 0;
  let detailText = "";
  const print = (force: boolean) => {
    const line = progressLine(state, now(), detailText);
    if (interactive) write(`\r\x1b[2K${line}`);
    else if (force || now() - lastPrinted >= 15_000) {
      write(`${line}\n`);
      lastPrinted = now();
    }
  };
  return {
    phase(name) {
      const index = plan.findIndex((p, i) => p.name === name && i >= state.current);
      if (index < 0) throw new Error(`phase '${name}' is not in the plan (or already passed)`);
      const t = now();
      for (let i = state.current; i < index; i++) {
        state.finishedSeconds[i] = i === state.current ? (t - state.phaseStartedMs) / 1000 : 0;
      }
      state.current = index;
      state.phaseStartedMs = t;
      detailText = "";
      print(true);
    },
    detail(text) {
      detailText = text;
      print(false);
    },
    finish() {
      state.finishedSeconds[state.current] = (now() - state.phaseStartedMs) / 1000;
      state.current = plan.length;
      if (interactive) write("\n");
    },
  };
}
