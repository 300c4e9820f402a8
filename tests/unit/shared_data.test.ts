import assert from "node:assert/strict";
import { nameWords, relationsOf, sharesName } from "../../shared/correlate/shared_data.ts";

Deno.test("relationsOf() reads the relations after from, join, update and into, without schema or quotes", () => {
  assert.deepEqual(
    relationsOf(
      'select * from public.robots r join "RobotMessages" m on m.robot_id = r.id where r.user_id = $1',
    ),
    ["robots", "robotmessages"],
  );
  assert.deepEqual(relationsOf("update only public.robots set name = $1"), ["robots"]);
  assert.deepEqual(relationsOf("insert into robot_messages (robot_id) values ($1)"), ["robot_messages"]);
});

Deno.test("sharesName() matches a namespace's words against names, allowing a plural", () => {
  assert.deepEqual(nameWords("robots:list-v2"), ["robots", "list"]);
  assert.equal(sharesName("robot", ["robots"]), true);
  assert.equal(sharesName("robots:list", ["robots"]), true);
  assert.equal(sharesName("sessions", ["robots"]), false);
});
