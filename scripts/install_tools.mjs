// Runs before `npm start`, `npm test` and the benchmarks (npm's pre-scripts), so that a fresh clone needs no
// separate `npm install`: it installs the pinned deno and supabase packages when they are missing or differ.
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const root = new URL("..", import.meta.url);
const pinned = JSON.parse(readFileSync(new URL("package.json", root), "utf8")).devDependencies;

function installedVersion(name) {
  const manifest = new URL(`node_modules/${name}/package.json`, root);
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).version : null;
}

const stale = Object.entries(pinned).filter(([name, version]) => installedVersion(name) !== version);
if (stale.length > 0) {
  console.log(`Installing ${stale.map(([name, version]) => `${name}@${version}`).join(", ")} (npm install)`);
  execSync("npm install --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
