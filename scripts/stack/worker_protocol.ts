/** The one line a worker prints on stdout to tell the gateway which port its server listens on. */
const prefix = "__stack_worker_listening__ port=";

export function portAnnouncement(port: number): string {
  return `${prefix}${port}`;
}

/** The port announced by this stdout line, or null for ordinary output. */
export function parsePortAnnouncement(line: string): number | null {
  if (!line.startsWith(prefix)) return null;
  const port = Number(line.slice(prefix.length));
  return Number.isInteger(port) && port > 0 ? port : null;
}
