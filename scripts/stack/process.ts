/** Runs a command to completion; on failure the error carries its output so the cause is visible. */
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** What the command does, for the error message. */
  what: string;
  /** Do not throw on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args,
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`${options.what} failed: cannot run ${command}: ${error}`);
  }
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(
      `${options.what} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`.trimEnd(),
    );
  }
  return result;
}
