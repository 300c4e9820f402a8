import type { Sql } from "../_shared/runtime.ts";

/**
 * Chat turns about a robot. QuantForge keeps the conversation inside robots.chat_history, so every turn
 * rewrites the robot row (with its several-KB code and the whole array) besides inserting the messages.
 */

export const messageRoles = ["user", "assistant", "system"] as const;
export type MessageRole = typeof messageRoles[number];

export interface ChatMessage {
  role: MessageRole;
  content: string;
}

export type MessageRow = { id: string; role: MessageRole; content: string; created_at: Date };

/** The entries a turn appends to robots.chat_history, as the app stores them. */
export function chatHistoryEntries(
  messages: ChatMessage[],
  at: Date,
): { role: string; content: string; timestamp: string }[] {
  return messages.map((message) => ({
    role: message.role,
    content: message.content,
    timestamp: at.toISOString(),
  }));
}

export function createChatStore(sql: Sql) {
  return {
    /** Whether the user owns this (not deleted) robot: chats are private. */
    owns: async (userId: string, robotId: string): Promise<boolean> => {
      const rows = await sql`
        select 1 from public.robots where id = ${robotId} and user_id = ${userId} and deleted_at is null`;
      return rows.length > 0;
    },

    /** The latest `limit` messages, oldest first. */
    latest: async (robotId: string, limit: number): Promise<MessageRow[]> => {
      const rows = await sql<MessageRow[]>`
        select id, role, content, created_at from public.robot_messages
        where robot_id = ${robotId}
        order by created_at desc, id desc
        limit ${limit}`;
      return rows.reverse();
    },

    /**
     * Appends a turn in one transaction: the robot's chat_history grows by the turn (locking the row, so
     * concurrent turns keep their order) and the messages are inserted. null when the user owns no such robot.
     */
    append: (userId: string, robotId: string, messages: ChatMessage[], at: Date) =>
      sql.begin(async (tx) => {
        const entries = chatHistoryEntries(messages, at);
        const [robot] = await tx<{ length: number }[]>`
          update public.robots
          set chat_history = chat_history || ${tx.json(entries)}, updated_at = now()
          where id = ${robotId} and user_id = ${userId} and deleted_at is null
          returning jsonb_array_length(chat_history) as length`;
        if (!robot) return null;
        const inserted = await tx<MessageRow[]>`
          insert into public.robot_messages (robot_id, user_id, role, content)
          select ${robotId}, ${userId}, role, content
          from unnest(${messages.map((m) => m.role)}::public.message_role[], ${
          messages.map((m) => m.content)
        }::text[])
            with ordinality as turn(role, content, position)
          order by position
          returning id, role, content, created_at`;
        return { messages: inserted, chatLength: robot.length };
      }),
  };
}
