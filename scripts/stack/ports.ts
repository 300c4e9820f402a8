/** Whether nothing listens on 127.0.0.1:port (checked by binding it for an instant). */
export function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}
