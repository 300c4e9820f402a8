/**
 * The sending half of the local pg_net (supabase/local/04_net.sql). It LISTENs on stack_net, whose
 * notifications arrive only when the queuing transaction commits, takes queued requests with
 * `for update skip locked`, sends them with fetch under their timeout and stores each outcome in
 * net._http_response. A slow poll catches notifications missed while reconnecting.
 */
import postgres from "postgres";

export interface NetWorker {
  stop(): Promise<void>;
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

interface Outcome {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

const batchSize = 100;
const pollIntervalMs = 1000;
/** pg_net keeps responses 6 hours. */
const responseTtl = "6 hours";

export async function send(request: QueuedRequest): Promise<Outcome> {
  const signal = AbortSignal.timeout(request.timeout_milliseconds);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | null,
      signal,
    });
    const content = await response.text();
    return {
      status_code: response.status,
      content_type: response.headers.get("content-type"),
      headers: Object.fromEntries(response.headers),
      content,
      timed_out: false,
      error_msg: null,
    };
  } catch (error) {
    const timedOut = signal.aborted;
    return {
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut
        ? `Timeout of ${request.timeout_milliseconds} ms reached`
        : (error instanceof Error ? error.message : String(error)),
    };
  }
}

export async function startNetWorker(dbUrl: string, log: (line: string) => void): Promise<NetWorker> {
  const sql = postgres(dbUrl, { max: 3, onnotice: () => {} });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function takeAndSend(): Promise<number> {
    const requests = await sql.begin((tx) =>
      tx<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (
          select id from net.http_request_queue order by id limit ${batchSize} for update skip locked
        )
        returning id, method, url, headers, body, timeout_milliseconds`
    );
    await Promise.all(requests.map(async (request) => {
      const outcome = await send(request);
      await sql`
        insert into net._http_response ${
        sql(
          { id: request.id, ...outcome },
          "id",
          "status_code",
          "content_type",
          "headers",
          "content",
          "timed_out",
          "error_msg",
        )
      }
        on conflict (id) do nothing`;
    }));
    return requests.length;
  }

  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          if (stopped) break;
          if ((await takeAndSend()) === batchSize) again = true;
        } while (again);
      } catch (error) {
        if (!stopped) log(`[net] ${error instanceof Error ? error.message : error}`);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const listener = await sql.listen("stack_net", () => void drain(), () => void drain());
  let ticks = 0;
  const poll = setInterval(() => {
    void drain();
    if (++ticks % 60 === 0) {
      sql`delete from net._http_response where created < now() - ${responseTtl}::interval`.catch(() => {});
    }
  }, pollIntervalMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      await running;
      await listener.unlisten().catch(() => {});
      await sql.end({ timeout: 2 });
    },
  };
}
