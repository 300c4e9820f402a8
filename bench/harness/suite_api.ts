/**
 * The suite's functions as the harness calls them: HTTP with the secret key, as a developer's script would,
 * against the stack whose env is given (SUPABASE_URL, SUPABASE_SECRET_KEY).
 */

/** Sends `json` (when given) to `/functions/v1<path>`; returns the JSON answer, or throws with it on a non-2xx. */
export type SuiteRequest = (
  method: "GET" | "POST" | "PUT",
  path: string,
  json?: unknown,
) => Promise<Record<string, unknown>>;

export function suiteApi(env: Record<string, string>): SuiteRequest {
  const functions = `${env.SUPABASE_URL}/functions/v1`;
  return async (method, path, json) => {
    const response = await fetch(`${functions}${path}`, {
      method,
      headers: {
        apikey: env.SUPABASE_SECRET_KEY,
        ...(json === undefined ? {} : { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const body = await response.json();
    if (!response.ok) {
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return body;
  };
}
