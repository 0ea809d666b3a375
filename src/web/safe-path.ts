// Where a redirect may send the browser back to after a form: a path of this site, never another host.

const PROBE_ORIGIN = "http://roster.invalid";

/**
 * `value` when it is a path on this site, else `fallback`. Browsers read `/\host`, `//host` and `/<tab>/host` (tabs
 * and newlines are dropped anywhere in a URL) as another host, so anything with whitespace, a control character or a
 * backslash is refused outright, and what is left must resolve to this site's own origin.
 */
export function safeNextPath(value: unknown, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith("/") || value.startsWith("//")) return fallback;
  if (/[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\\]/.test(value)) return fallback;
  // An encoded slash or backslash right after the first one is a second hop away from decoding into `//host`.
  if (/^\/%(2f|5c)/i.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE_ORIGIN) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
