/**
 * The Debian packages the local Postgres needs. Missing ones are installed with apt-get when running as
 * root on Debian (CI); otherwise the stack stops and names them.
 */
import { exists } from "./paths.ts";
import { run } from "./process.ts";

export const pgBinDir = "/usr/lib/postgresql/15/bin";
const extensionDir = "/usr/share/postgresql/15/extension";

/** A file each package installs, to tell whether it is there without asking dpkg. */
export const requiredPackages: Array<{ name: string; file: string }> = [
  { name: "postgresql-15", file: `${pgBinDir}/postgres` },
  { name: "postgresql-15", file: `${extensionDir}/pg_stat_statements.control` },
  { name: "postgresql-15-cron", file: `${extensionDir}/pg_cron.control` },
  { name: "postgresql-15-hypopg", file: `${extensionDir}/hypopg.control` },
  { name: "postgresql-plpython3-15", file: `${extensionDir}/plpython3u.control` },
  { name: "postgresql-15-pg-qualstats", file: `${extensionDir}/pg_qualstats.control` },
];

export async function missingPackages(): Promise<string[]> {
  const missing = new Set<string>();
  for (const { name, file } of requiredPackages) {
    if (!(await exists(file))) missing.add(name);
  }
  return [...missing];
}

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

export async function ensurePackages(install: boolean, log: (line: string) => void): Promise<void> {
  const missing = await missingPackages();
  if (missing.length === 0) return;
  const list = missing.join(" ");
  const onDebian = await exists("/etc/debian_version");
  if (!install || !isRoot() || !onDebian) {
    throw new Error(
      `missing packages: ${list}. Install them (Debian/Ubuntu: sudo apt-get install -y ${list}) and run again`,
    );
  }
  log(`[stack] installing ${list} with apt-get (first run only)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update"], { env, what: "apt-get update" });
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], {
    env,
    what: `apt-get install ${list}`,
  });
  const still = await missingPackages();
  if (still.length > 0) {
    throw new Error(`apt-get finished but these packages are still missing: ${still.join(" ")}`);
  }
}
