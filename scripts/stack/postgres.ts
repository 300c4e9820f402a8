/**
 * The project's own Postgres 15 cluster under `.stack/pg`, on 127.0.0.1:<port>, with pg_cron and
 * pg_stat_statements preloaded. initdb and postgres refuse to run as root, so as root they run as the
 * `postgres` OS user (created by postgresql-common), which then owns the data and socket folders.
 *
 * That user must be able to enter the folder. When it cannot (a checkout under /root, or in a `mktemp -d`
 * folder), the cluster lives in /var/tmp/supabase-stack-<hash of the checkout's .stack path> instead, a
 * folder named after this checkout and recorded in `.stack/cluster-dir`. Its data is kept between starts,
 * as `.stack/pg` is; a later start removes such folders whose checkout no longer exists (a checkout that
 * is moved starts a new cluster, and the old one is removed so).
 */
import { createHash } from "node:crypto";
import process from "node:process";
import { isRoot, pgBinDir } from "./packages.ts";
import { exists } from "./paths.ts";
import { portFree } from "./ports.ts";
import { run, type RunResult } from "./process.ts";

export interface ClusterOptions {
  stackDir: string;
  port: number;
  log: (line: string) => void;
}

export interface ClusterPaths {
  /** `.stack`, or the folder outside the checkout that holds the cluster (see above). */
  clusterDir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  /** Settings the stack owns, included from postgresql.conf and rewritten on every start. */
  stackConf: string;
}

/** Pure: the cluster's files inside its folder. */
export function clusterPaths(clusterDir: string): ClusterPaths {
  const dataDir = `${clusterDir}/pg`;
  return {
    clusterDir,
    dataDir,
    socketDir: `${clusterDir}/pg-socket`,
    logFile: `${clusterDir}/postgres.log`,
    stackConf: `${dataDir}/stack.conf`,
  };
}

/** Where clusters of checkouts the postgres OS user cannot enter live (world-writable, sticky, kept on reboot). */
export const externalClustersDir = "/var/tmp";
const externalPrefix = "supabase-stack-";

/** Pure: the folder outside the checkout for the cluster of the `.stack` folder at this real path. */
export function externalClusterDir(stackRealPath: string, parent = externalClustersDir): string {
  const hash = createHash("sha256").update(stackRealPath).digest("hex").slice(0, 16);
  return `${parent}/${externalPrefix}${hash}`;
}

function recordPath(stackDir: string): string {
  return `${stackDir}/cluster-dir`;
}

/**
 * The folder holding this checkout's cluster: the one recorded in `.stack/cluster-dir`, else `.stack`. A
 * record made by another checkout (this one is a copy, or was moved) is ignored: its cluster is not ours.
 */
export async function locateCluster(stackDir: string): Promise<ClusterPaths> {
  const recorded = (await Deno.readTextFile(recordPath(stackDir)).catch(() => "")).trim();
  if (recorded && recorded === externalClusterDir(await Deno.realPath(stackDir))) {
    return clusterPaths(recorded);
  }
  return clusterPaths(stackDir);
}

/** Pure: the settings file contents for a port and socket folder. */
export function stackConfText(port: number, socketDir: string): string {
  return [
    "# Written by scripts/stack/postgres.ts on every start; edit that file instead.",
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    `unix_socket_directories = '${socketDir}'`,
    // pg_qualstats records the constants of predicates that pg_stat_statements normalizes to $n: the index
    // advisor learns constant predicates (partial indexes) from it.
    "shared_preload_libraries = 'pg_cron,pg_stat_statements,pg_qualstats'",
    "cron.database_name = 'postgres'",
    // Jobs connect through the socket, where local connections are trusted (no password in cron).
    `cron.host = '${socketDir}'`,
    "pg_stat_statements.track = 'top'",
    "",
  ].join("\n");
}

interface OsUser {
  uid: number;
  gid: number;
}

async function postgresOsUser(): Promise<OsUser> {
  const uid = await run("id", ["-u", "postgres"], {
    what: "looking up the postgres OS user",
    allowFailure: true,
  });
  const gid = await run("id", ["-g", "postgres"], {
    what: "looking up the postgres OS user",
    allowFailure: true,
  });
  if (uid.code !== 0 || gid.code !== 0) {
    throw new Error(
      "the postgres OS user does not exist: install postgresql-common (apt-get install postgresql-15)",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Runs a Postgres binary, as the postgres OS user when we are root. */
function pgRun(binary: string, args: string[], what: string, allowFailure = false): Promise<RunResult> {
  const path = `${pgBinDir}/${binary}`;
  return isRoot()
    ? run("runuser", ["-u", "postgres", "--", path, ...args], { what, allowFailure })
    : run(path, args, { what, allowFailure });
}

/** Whether the postgres OS user can enter the folder (and so every folder above it). */
async function postgresCanEnter(dir: string): Promise<boolean> {
  const probe = await run("runuser", ["-u", "postgres", "--", "test", "-x", dir], {
    what: "checking folder access",
    allowFailure: true,
  });
  return probe.code === 0;
}

/**
 * Creates (or checks) the folder outside the checkout. Its name is predictable, so a folder someone else
 * created there first is refused rather than used.
 */
async function prepareExternalDir(dir: string, stackDir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await Deno.lstat(dir);
  if (!info.isDirectory || info.uid !== Deno.uid()) {
    throw new Error(`${dir} exists but is not a folder this user created: remove it and start again`);
  }
  await Deno.chmod(dir, 0o755);
  await Deno.writeTextFile(`${dir}/checkout`, `${stackDir}\n`);
}

/** Whether the postmaster.pid in the data dir names a live process (a killed one leaves the file behind). */
async function postmasterAlive(dataDir: string): Promise<boolean> {
  const pid = Number((await Deno.readTextFile(`${dataDir}/postmaster.pid`).catch(() => "")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes clusters outside checkouts whose checkout is gone (a deleted clone would otherwise leave its data
 * in /var/tmp for good). A cluster whose postmaster still runs is left alone.
 */
async function removeOrphanClusters(log: (line: string) => void): Promise<void> {
  const entries = [];
  try {
    for await (const entry of Deno.readDir(externalClustersDir)) entries.push(entry);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith(externalPrefix)) continue;
    const dir = `${externalClustersDir}/${entry.name}`;
    const checkout = (await Deno.readTextFile(`${dir}/checkout`).catch(() => "")).trim();
    if (!checkout || (await exists(checkout))) continue;
    if (await postmasterAlive(clusterPaths(dir).dataDir)) continue;
    log(`[stack] removing ${dir}, the Postgres data of ${checkout}, which no longer exists`);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Decides where the cluster lives (see the top of this file) and records a folder outside the checkout. */
async function chooseClusterDir(
  stackDir: string,
  owner: OsUser | null,
  log: (line: string) => void,
): Promise<ClusterPaths> {
  const located = await locateCluster(stackDir);
  if (located.clusterDir !== stackDir) {
    await prepareExternalDir(located.clusterDir, stackDir);
    return located;
  }
  if (!owner || (await postgresCanEnter(stackDir))) {
    await Deno.remove(recordPath(stackDir)).catch(() => {});
    return located;
  }
  await removeOrphanClusters(log);
  const dir = externalClusterDir(await Deno.realPath(stackDir));
  log(`[stack] the postgres OS user cannot enter ${stackDir}: the cluster lives in ${dir}`);
  await prepareExternalDir(dir, stackDir);
  await Deno.writeTextFile(recordPath(stackDir), `${dir}\n`);
  return clusterPaths(dir);
}

async function prepareDir(path: string, owner: OsUser | null, mode: number): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  if (owner) await Deno.chown(path, owner.uid, owner.gid);
  await Deno.chmod(path, mode);
}

async function initCluster(paths: ClusterPaths, owner: OsUser | null, log: (l: string) => void) {
  const entries = [];
  for await (const entry of Deno.readDir(paths.dataDir)) entries.push(entry.name);
  if (entries.length > 0) {
    throw new Error(
      `${paths.dataDir} is not empty but holds no cluster (no PG_VERSION): delete it and start again`,
    );
  }
  log("[stack] creating the Postgres cluster (first run only)");
  const pwfile = `${paths.clusterDir}/.pgpass-init`;
  await Deno.writeTextFile(pwfile, "postgres\n", { mode: 0o600 });
  if (owner) await Deno.chown(pwfile, owner.uid, owner.gid);
  try {
    await pgRun("initdb", [
      "-D",
      paths.dataDir,
      "-U",
      "postgres",
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ], "initdb");
  } finally {
    await Deno.remove(pwfile).catch(() => {});
  }
  await Deno.writeTextFile(`${paths.dataDir}/postgresql.conf`, "\ninclude_if_exists = 'stack.conf'\n", {
    append: true,
  });
}

/** Whether a postmaster runs on this checkout's cluster (for example one left behind by a killed stack). */
export async function clusterRunning(stackDir: string): Promise<boolean> {
  const { dataDir } = await locateCluster(stackDir);
  if (!(await exists(`${dataDir}/PG_VERSION`))) return false;
  const status = await pgRun("pg_ctl", ["status", "-D", dataDir], "pg_ctl status", true);
  return status.code === 0;
}

async function logTail(path: string, lines = 30): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/** Creates the cluster if needed and makes sure it runs with the stack's settings; returns where it lives. */
export async function ensureCluster(options: ClusterOptions): Promise<ClusterPaths> {
  const { stackDir, port, log } = options;
  const owner = isRoot() ? await postgresOsUser() : null;
  await Deno.mkdir(stackDir, { recursive: true });
  const paths = await chooseClusterDir(stackDir, owner, log);
  await prepareDir(paths.dataDir, owner, 0o700);
  await prepareDir(paths.socketDir, owner, 0o755);
  if (!(await exists(`${paths.dataDir}/PG_VERSION`))) await initCluster(paths, owner, log);

  const wanted = stackConfText(port, paths.socketDir);
  const previous = await Deno.readTextFile(paths.stackConf).catch(() => "");
  if (previous !== wanted) await Deno.writeTextFile(paths.stackConf, wanted);

  if (await clusterRunning(stackDir)) {
    if (previous === wanted) {
      log(`[stack] reusing the Postgres left running on ${paths.dataDir} by a previous stack`);
      return paths;
    }
    log(`[stack] restarting the Postgres left running on ${paths.dataDir} (its settings changed)`);
    await stopCluster(stackDir);
  }
  if (!portFree(port)) {
    throw new Error(
      `port ${port} is in use by another program, not this project's Postgres: stop it or choose another pgPort`,
    );
  }
  if (!(await exists(paths.logFile))) await Deno.writeTextFile(paths.logFile, "");
  if (owner) await Deno.chown(paths.logFile, owner.uid, owner.gid);
  const started = await pgRun(
    "pg_ctl",
    ["start", "-D", paths.dataDir, "-l", paths.logFile, "-w", "-t", "60", "-s"],
    "pg_ctl start",
    true,
  );
  if (started.code !== 0) {
    throw new Error(
      `Postgres did not start (pg_ctl exit ${started.code}). ${started.stderr.trim()}\n` +
        `Last lines of ${paths.logFile}:\n${await logTail(paths.logFile)}`,
    );
  }
  return paths;
}

/** Fast shutdown (rolls back open transactions, no recovery needed on the next start). */
export async function stopCluster(stackDir: string): Promise<void> {
  if (!(await clusterRunning(stackDir))) return;
  const { dataDir } = await locateCluster(stackDir);
  await pgRun("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60", "-s"], "pg_ctl stop");
}
