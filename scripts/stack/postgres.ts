/**
 * The project's own Postgres 15 cluster under `.stack/pg`, on 127.0.0.1:<port>, with pg_cron and
 * pg_stat_statements preloaded. initdb and postgres refuse to run as root, so as root they run as the
 * `postgres` OS user (created by postgresql-common), which then owns the data and socket folders.
 */
import { isRoot, pgBinDir } from "./packages.ts";
import { dirname, exists } from "./paths.ts";
import { portFree } from "./ports.ts";
import { run, type RunResult } from "./process.ts";

export interface ClusterOptions {
  stackDir: string;
  port: number;
  log: (line: string) => void;
}

export interface ClusterPaths {
  dataDir: string;
  socketDir: string;
  logFile: string;
  /** Settings the stack owns, included from postgresql.conf and rewritten on every start. */
  stackConf: string;
}

export function clusterPaths(stackDir: string): ClusterPaths {
  const dataDir = `${stackDir}/pg`;
  return {
    dataDir,
    socketDir: `${stackDir}/pg-socket`,
    logFile: `${stackDir}/postgres.log`,
    stackConf: `${dataDir}/stack.conf`,
  };
}

/** Pure: the settings file contents for a port and socket folder. */
export function stackConfText(port: number, socketDir: string): string {
  return [
    "# Written by scripts/stack/postgres.ts on every start; edit that file instead.",
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    `unix_socket_directories = '${socketDir}'`,
    "shared_preload_libraries = 'pg_cron,pg_stat_statements'",
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

/** The postgres user must be able to enter every folder above the data dir; names the first one it cannot. */
async function checkTraversable(stackDir: string): Promise<void> {
  const probe = (dir: string) =>
    run("runuser", ["-u", "postgres", "--", "test", "-x", dir], {
      what: "checking folder access",
      allowFailure: true,
    });
  if ((await probe(stackDir)).code === 0) return;
  const chain: string[] = [];
  for (let dir = stackDir;; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of chain) {
    if ((await probe(dir)).code !== 0) {
      throw new Error(
        `the postgres OS user cannot enter ${dir}, so it cannot reach ${stackDir}: run \`chmod o+x ${dir}\` ` +
          "(Postgres runs as that user because initdb refuses root)",
      );
    }
  }
}

async function prepareDir(path: string, owner: OsUser | null, mode: number): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  if (owner) await Deno.chown(path, owner.uid, owner.gid);
  await Deno.chmod(path, mode);
}

async function initCluster(
  paths: ClusterPaths,
  stackDir: string,
  owner: OsUser | null,
  log: (l: string) => void,
) {
  const entries = [];
  for await (const entry of Deno.readDir(paths.dataDir)) entries.push(entry.name);
  if (entries.length > 0) {
    throw new Error(
      `${paths.dataDir} is not empty but holds no cluster (no PG_VERSION): delete it and start again`,
    );
  }
  log("[stack] creating the Postgres cluster (first run only)");
  const pwfile = `${stackDir}/.pgpass-init`;
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

/** Whether a postmaster runs on this data dir (for example one left behind by a killed stack). */
export async function clusterRunning(stackDir: string): Promise<boolean> {
  const { dataDir } = clusterPaths(stackDir);
  if (!(await exists(`${dataDir}/PG_VERSION`))) return false;
  const status = await pgRun("pg_ctl", ["status", "-D", dataDir], "pg_ctl status", true);
  return status.code === 0;
}

async function logTail(path: string, lines = 30): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/** Creates the cluster if needed and makes sure it runs with the stack's settings. */
export async function ensureCluster(options: ClusterOptions): Promise<void> {
  const { stackDir, port, log } = options;
  const paths = clusterPaths(stackDir);
  const owner = isRoot() ? await postgresOsUser() : null;
  await Deno.mkdir(stackDir, { recursive: true });
  if (owner) await checkTraversable(stackDir);
  await prepareDir(paths.dataDir, owner, 0o700);
  await prepareDir(paths.socketDir, owner, 0o755);
  if (!(await exists(`${paths.dataDir}/PG_VERSION`))) await initCluster(paths, stackDir, owner, log);

  const wanted = stackConfText(port, paths.socketDir);
  const previous = await Deno.readTextFile(paths.stackConf).catch(() => "");
  if (previous !== wanted) await Deno.writeTextFile(paths.stackConf, wanted);

  if (await clusterRunning(stackDir)) {
    if (previous === wanted) {
      log("[stack] reusing the Postgres left running on .stack/pg by a previous stack");
      return;
    }
    log("[stack] restarting the Postgres left running on .stack/pg (its settings changed)");
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
}

/** Fast shutdown (rolls back open transactions, no recovery needed on the next start). */
export async function stopCluster(stackDir: string): Promise<void> {
  if (!(await clusterRunning(stackDir))) return;
  const { dataDir } = clusterPaths(stackDir);
  await pgRun("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60", "-s"], "pg_ctl stop");
}
