import assert from "node:assert/strict";
import { type Caller, callers, headersFor } from "../support/credentials.ts";
import { stackEnv } from "../support/env.ts";

/**
 * Every route against every kind of caller, through the gateway, as a client would call it.
 * Expected statuses: 401 without a credential or with a bad one, 403 for a good credential of a role the
 * route does not allow, success for the roles the route names.
 */

const env = stackEnv();
const functionsUrl = `${env.url}/functions/v1`;

interface Route {
  name: string;
  method: string;
  path: string;
  body?: () => unknown;
  /** Callers the route lets through, with the status they get. */
  allowed: Partial<Record<Caller, number>>;
}

const appEvent = () => ({
  events: [{
    occurredAt: new Date().toISOString(),
    system: "app",
    target: `auth-matrix-${crypto.randomUUID()}`,
    kind: "request",
    latencyMs: 12.5,
  }],
});

const seriesQuery = () => {
  const to = new Date();
  const from = new Date(to.getTime() - 10 * 60_000);
  return `?from=${from.toISOString()}&to=${to.toISOString()}&bucket=1m`;
};

const routes: Route[] = [
  {
    name: "POST metrics (ingest)",
    method: "POST",
    path: "/metrics",
    body: appEvent,
    allowed: { secret: 202, legacyServiceRole: 202, user: 202 },
  },
  {
    name: "GET metrics (series)",
    method: "GET",
    path: `/metrics${seriesQuery()}`,
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "DELETE metrics/users/:userId (purge)",
    method: "DELETE",
    path: `/metrics/users/auth-matrix-${crypto.randomUUID()}`,
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  { name: "GET status", method: "GET", path: "/status", allowed: { secret: 200, legacyServiceRole: 200 } },
  {
    name: "GET status/config",
    method: "GET",
    path: "/status/config",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "PUT status/config",
    method: "PUT",
    path: "/status/config",
    body: () => ({}),
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "GET recommendations",
    method: "GET",
    path: "/recommendations",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "POST recommendations/refresh",
    method: "POST",
    path: "/recommendations/refresh",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  // No finding has this id: a caller let through learns that (404), the others learn nothing.
  ...["apply", "rollback"].map((action): Route => ({
    name: `POST recommendations/:id/${action}`,
    method: "POST",
    path: `/recommendations/999999999999/${action}`,
    allowed: { secret: 404, legacyServiceRole: 404 },
  })),
  {
    name: "GET recommendations/:id",
    method: "GET",
    path: "/recommendations/999999999999",
    allowed: { secret: 404, legacyServiceRole: 404 },
  },
  {
    name: "POST recommendations/:id/dismiss",
    method: "POST",
    path: "/recommendations/999999999999/dismiss",
    body: () => ({ reason: "auth matrix" }),
    allowed: { secret: 404, legacyServiceRole: 404 },
  },
  {
    name: "GET predictive/forecast",
    method: "GET",
    path: "/predictive/forecast?system=edge&target=auth-matrix&kind=request&historyDays=1",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "POST predictive/refresh",
    method: "POST",
    path: "/predictive/refresh",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "POST predictive/run",
    method: "POST",
    path: "/predictive/run",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    // a plan only: it changes nothing, whatever the findings
    name: "POST optimize-system (dry run)",
    method: "POST",
    path: "/optimize-system",
    body: () => ({ dryRun: true }),
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    // modules.systemWide is off by default: the right caller is told that the schedule is off
    name: "POST optimize-system?trigger=cron",
    method: "POST",
    path: "/optimize-system?trigger=cron",
    body: () => ({}),
    allowed: { secret: 409, legacyServiceRole: 409 },
  },
  {
    name: "GET optimize-system",
    method: "GET",
    path: "/optimize-system",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "GET optimize-system/checks",
    method: "GET",
    path: "/optimize-system/checks",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "POST optimize-system/verify",
    method: "POST",
    path: "/optimize-system/verify",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  // No run has this id: a caller let through learns that (404), the others learn nothing.
  {
    name: "GET optimize-system/:id",
    method: "GET",
    path: "/optimize-system/999999999999",
    allowed: { secret: 404, legacyServiceRole: 404 },
  },
  {
    name: "POST optimize-system/:id/rollback",
    method: "POST",
    path: "/optimize-system/999999999999/rollback",
    allowed: { secret: 404, legacyServiceRole: 404 },
  },
  {
    // modules.warmer is off by default: the right caller is told so
    name: "POST warmer/run",
    method: "POST",
    path: "/warmer/run",
    allowed: { secret: 409, legacyServiceRole: 409 },
  },
  {
    name: "GET warmer/plan",
    method: "GET",
    path: "/warmer/plan",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "GET warmer/targets",
    method: "GET",
    path: "/warmer/targets",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "PUT warmer/targets/:name",
    method: "PUT",
    path: "/warmer/targets/auth-matrix",
    body: () => ({ enabled: false }),
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    name: "GET warmer/loaders",
    method: "GET",
    path: "/warmer/loaders",
    allowed: { secret: 200, legacyServiceRole: 200 },
  },
  {
    // a function that does not exist: the right caller learns so (422), and nothing is registered
    name: "PUT warmer/loaders/:namespace",
    method: "PUT",
    path: "/warmer/loaders/auth-matrix",
    body: () => ({ function: "public.auth_matrix_no_such_loader" }),
    allowed: { secret: 422, legacyServiceRole: 422 },
  },
];

/** Callers that carry a credential which is wrong in itself, whatever the route. */
const invalid: Caller[] = ["none", "forged", "expired"];

for (const route of routes) {
  for (const caller of callers) {
    const expected = route.allowed[caller] ?? (invalid.includes(caller) ? 401 : 403);
    Deno.test(`${route.name} answers ${expected} to caller '${caller}'`, async () => {
      const headers = await headersFor(caller, env);
      const response = await fetch(`${functionsUrl}${route.path}`, {
        method: route.method,
        headers: route.body ? { ...headers, "content-type": "application/json" } : headers,
        body: route.body ? JSON.stringify(route.body()) : undefined,
      });
      const answer = await response.json();
      assert.equal(response.status, expected, JSON.stringify(answer));
      if (expected >= 400) assert.equal(typeof answer.error, "string", "errors explain themselves");
    });
  }
}
