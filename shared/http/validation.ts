/** One rejected field: `path` in JavaScript notation (`events[3].latencyMs`), `message` says what is wrong. */
export interface FieldIssue {
  /** Where the bad value is, e.g. `events[3].latencyMs`; `(root)` for the whole value. */
  path: string;
  /** What is wrong with it and, where it helps, what to send instead. */
  message: string;
}

/** `["events", 3, "latencyMs"]` -> `events[3].latencyMs`; the empty path (the whole value) -> `(root)`. */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

/** What fieldIssues() reads of a failed parse: zod's ZodError has this shape. */
export interface ValidationFailure {
  /** Each problem found, with the path of the value it is about. */
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

/** Every issue of a failed zod parse, in the order zod found them. */
export function fieldIssues(error: ValidationFailure, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, prefix), message: issue.message }));
}
