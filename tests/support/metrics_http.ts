import assert from "node:assert/strict";
import { stackEnv } from "./env.ts";

/** `GET /functions/v1/metrics` with the secret key; asserts 200 and returns the parsed answer. */
export async function fetchSeries(query: Record<string, string>) {
  const env = stackEnv();
  const response = await fetch(`${env.url}/functions/v1/metrics?${new URLSearchParams(query)}`, {
    headers: { apikey: env.secretKey },
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer;
}
