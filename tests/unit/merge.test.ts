import assert from "node:assert/strict";
import { type Finding, mergeFindings, type StoredFindingState } from "../../shared/mod.ts";
import { testFinding } from "../support/findings.ts";

const finding = (subject: string) => testFinding(subject, { rule: "test.merge", severity: "warning" });

const a = finding("a");
const stored = (f: Finding, status: StoredFindingState["status"], analyzer = "one"): StoredFindingState => ({
  fingerprint: f.fingerprint,
  analyzer,
  status,
});

Deno.test("mergeFindings() opens a finding never stored", () => {
  const { transitions, counts } = mergeFindings([], [{ analyzer: "one", finding: a }], new Set(["one"]));
  assert.deepEqual(transitions, [{ kind: "opened", analyzer: "one", finding: a }]);
  assert.equal(counts.opened, 1);
});

Deno.test("mergeFindings() sees an open finding again and keeps it open", () => {
  const { transitions } = mergeFindings(
    [stored(a, "open")],
    [{ analyzer: "one", finding: a }],
    new Set(["one"]),
  );
  assert.deepEqual(transitions, [{ kind: "seen", analyzer: "one", finding: a, status: "open" }]);
});

Deno.test("mergeFindings() keeps a dismissed finding dismissed when it is seen again", () => {
  const { transitions } = mergeFindings(
    [stored(a, "dismissed")],
    [{ analyzer: "one", finding: a }],
    new Set(["one"]),
  );
  assert.deepEqual(transitions, [{ kind: "seen", analyzer: "one", finding: a, status: "dismissed" }]);
});

Deno.test("mergeFindings() resolves an open finding its analyzer no longer reports", () => {
  const { transitions, counts } = mergeFindings([stored(a, "open")], [], new Set(["one"]));
  assert.deepEqual(transitions, [{ kind: "resolved", fingerprint: a.fingerprint }]);
  assert.equal(counts.resolved, 1);
});

Deno.test("mergeFindings() resolves nothing for an analyzer that did not complete", () => {
  const { transitions } = mergeFindings([stored(a, "open", "failed-one")], [], new Set(["one"]));
  assert.deepEqual(transitions, []);
});

Deno.test("mergeFindings() never resolves applied or dismissed findings", () => {
  const b = finding("b");
  const { transitions } = mergeFindings([stored(a, "applied"), stored(b, "dismissed")], [], new Set(["one"]));
  assert.deepEqual(transitions, []);
});

Deno.test("mergeFindings() reopens a resolved finding that is reported again", () => {
  const { transitions, counts } = mergeFindings(
    [stored(a, "resolved")],
    [{ analyzer: "one", finding: a }],
    new Set(["one"]),
  );
  assert.deepEqual(transitions, [{ kind: "reopened", analyzer: "one", finding: a }]);
  assert.equal(counts.reopened, 1);
});

Deno.test("mergeFindings() counts a fingerprint reported twice in one run once, for the first analyzer", () => {
  const { transitions } = mergeFindings(
    [],
    [{ analyzer: "one", finding: a }, { analyzer: "two", finding: a }],
    new Set(["one", "two"]),
  );
  assert.deepEqual(transitions, [{ kind: "opened", analyzer: "one", finding: a }]);
});
