/** Whether nothing listens on 127.0.0.1:port (checked by binding it for an instant). */
export function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * `count` consecutive free ports at or above `from`, for a second stack, gateway or a closed port a test
 * points a client at. Free now, not reserved: take them right before use.
 */
export function freePorts(count: number, from = 55_400): number[] {
  for (let port = from; port + count <= 65_535; port++) {
    const ports = Array.from({ length: count }, (_, i) => port + i);
    if (ports.every(portFree)) return ports;
  }
  throw new Error(`no ${count} consecutive free ports at or above ${from}`);
}
