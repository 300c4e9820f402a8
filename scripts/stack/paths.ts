/** Path helpers (node:path / node:url, since jsr:@std/path is unreachable). */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export function fromFileUrl(url: URL): string {
  return fileURLToPath(url);
}

export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}

export function resolvePath(path: string, base?: string): string {
  if (isAbsolute(path)) return resolve(path);
  return base ? resolve(base, path) : resolve(path);
}

export { dirname };

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
