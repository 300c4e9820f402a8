import assert from "node:assert/strict";
import { nextCronRun } from "../../shared/status/next_cron_run.ts";

const now = new Date("2026-11-30T01:02:30.000Z");
const job = (schedule: string, overrides: { active?: boolean; lastStart?: string | null } = {}) => ({
  schedule,
  active: true,
  lastStart: null,
  ...overrides,
});

Deno.test("nextCronRun() reads a five-field schedule in UTC", () => {
  assert.equal(nextCronRun(job("* * * * *"), now), "2026-11-30T01:03:00.000Z");
  assert.equal(nextCronRun(job("*/5 * * * *"), now), "2026-11-30T01:05:00.000Z");
  assert.equal(nextCronRun(job("17 3 * * *"), now), "2026-11-30T03:17:00.000Z");
  assert.equal(nextCronRun(job("23 * * * *"), new Date("2026-11-30T23:30:00Z")), "2026-12-01T00:23:00.000Z");
});

Deno.test("nextCronRun() counts pg_cron's 'N seconds' from the job's last start", () => {
  assert.equal(
    nextCronRun(job("10 seconds", { lastStart: "2026-11-30T01:02:05.000Z" }), now),
    "2026-11-30T01:02:35.000Z",
  );
  assert.equal(nextCronRun(job("10 seconds"), now), null, "the phase is unknown before a first run");
});

Deno.test("nextCronRun() gives null for an inactive job and for a schedule it cannot read", () => {
  assert.equal(nextCronRun(job("* * * * *", { active: false }), now), null);
  assert.equal(nextCronRun(job("every minute"), now), null);
  assert.equal(nextCronRun(job("0 * * * * *"), now), null, "six fields: pg_cron has no seconds field");
  assert.equal(nextCronRun(job("61 * * * *"), now), null);
});
