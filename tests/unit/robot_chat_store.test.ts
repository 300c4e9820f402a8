import assert from "node:assert/strict";
import { chatHistoryEntries } from "../../bench/reference_app/functions/robot-chat/store.ts";

Deno.test("a chat turn becomes chat_history entries with role, content and the turn's time", () => {
  const at = new Date("2025-06-01T12:00:00Z");
  assert.deepEqual(
    chatHistoryEntries([{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }], at),
    [
      { role: "user", content: "hi", timestamp: "2025-06-01T12:00:00.000Z" },
      { role: "assistant", content: "hello", timestamp: "2025-06-01T12:00:00.000Z" },
    ],
  );
});
