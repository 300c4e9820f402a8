/** base64url without padding (jsr:@std/encoding is unreachable). */
import { Buffer } from "node:buffer";

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
