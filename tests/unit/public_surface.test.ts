import assert from "node:assert/strict";

/**
 * `deno doc --lint shared/mod.ts` checks that every export of the public surface has JSDoc and explicit types
 * and references no private type. Its one false alarm is a type declared in an npm package, which it calls
 * private although the package exports it (denoland/deno#27364: the fix in #34339 exempts jsr: and https:
 * modules, not npm packages, which resolve to files in the Deno cache). The suite's HTTP edge is built on
 * Hono and zod, so their types appear in its signatures; those references, and only those, are accepted.
 */
const packageTypes = new Set(["Hono", "Context", "MiddlewareHandler", "ZodType", "input", "output"]);

const root = new URL("../../", import.meta.url);

async function docLintErrors(): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "shared/mod.ts"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stderr).split("\n").filter((line) => /^error\[/.test(line));
}

Deno.test("shared/mod.ts passes deno doc --lint apart from Hono's and zod's own types", async () => {
  const unexpected = (await docLintErrors()).filter((line) => {
    const reference = /^error\[private-type-ref\]: public type '.+' references private type '(\w+)'$/.exec(
      line,
    );
    return !(reference && packageTypes.has(reference[1]));
  });
  assert.deepEqual(unexpected, []);
});

Deno.test("no module of shared/ declares a type named like the Hono and zod types the lint accepts", async () => {
  const declaration = new RegExp(`\\b(?:type|interface|class)\\s+(${[...packageTypes].join("|")})\\b`);
  const clashes: string[] = [];
  for await (const path of walk(new URL("shared/", root))) {
    const text = await Deno.readTextFile(path);
    text.split("\n").forEach((line, i) => {
      if (declaration.test(line) && !/^\s*import\b/.test(line)) clashes.push(`${path.pathname}:${i + 1}`);
    });
  }
  assert.deepEqual(clashes, []);
});

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}
