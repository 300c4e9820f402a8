/** dotenv reading and writing: `.stack/env` (connection details) and `supabase/functions/.env` (function secrets). */

/** Formats variables as dotenv lines; values are double-quoted with \ " and newlines escaped. */
export function formatDotenv(vars: Record<string, string>): string {
  return Object.entries(vars).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`dotenv variable names must match [A-Za-z_][A-Za-z0-9_]*: got "${name}"`);
    }
    const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
    return `${name}="${escaped}"\n`;
  }).join("");
}

/** Parses dotenv text: `NAME=value`, optional `export `, '#' comments, single or double quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, name, rest] = match;
    let value = rest;
    if (value.startsWith('"')) {
      const end = findClosingQuote(value);
      value = value.slice(1, end).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    } else if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      value = value.slice(1, end === -1 ? undefined : end);
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    vars[name] = value;
  }
  return vars;
}

function findClosingQuote(value: string): number {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === "\\") i++;
    else if (value[i] === '"') return i;
  }
  return value.length;
}

export async function writeDotenvFile(path: string, vars: Record<string, string>): Promise<void> {
  await Deno.writeTextFile(path, formatDotenv(vars), { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

/** Reads a dotenv file; a missing file gives {} when `optional`. */
export async function readDotenvFile(path: string, optional = false): Promise<Record<string, string>> {
  try {
    return parseDotenv(await Deno.readTextFile(path));
  } catch (error) {
    if (optional && error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
}
