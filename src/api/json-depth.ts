/** The nesting limit of JSON request bodies, checked on the raw text before any schema parses it. */

/**
 * How deep a JSON request body may nest objects and arrays, the body itself being level 1 (so a `payload` may
 * nest 63 levels in `POST /tasks/schedule`). Real bodies nest under 10. Past a few thousand levels
 * `JSON.stringify`, which Temporal's payload converter uses, overflows the stack; and what Pulse forwards is
 * wrapped in an envelope or two and read by agents' and receivers' parsers, some capped at 100 (Ruby's `json`)
 * or 128 (Rust's `serde_json`). 64 stays clear of all of them.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;

/** A key read from the text for a path in a message; an invalid escape falls back to the text as written. */
function keyOf(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * The path (keys and indexes) at which a JSON text first nests deeper than `limit`, or undefined when it never
 * does. A single pass over the text with no parsing and no recursion, stopping at the first level too deep, so
 * a body 500,000 levels deep costs as little as a shallow one and never reaches `JSON.parse`.
 */
export function pathBeyondDepth(text: string, limit = MAX_JSON_DEPTH): string[] | undefined {
  // One entry per open container: its current key (object) or index (array).
  const path: (string | number)[] = [];
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      lastString = text.slice(start, i + 1);
    } else if (ch === '{' || ch === '[') {
      if (path.length >= limit) return path.map(String);
      path.push(ch === '[' ? 0 : '');
    } else if (ch === '}' || ch === ']') {
      path.pop();
    } else if (ch === ':' && path.length > 0) {
      path[path.length - 1] = keyOf(lastString);
    } else if (ch === ',' && typeof path[path.length - 1] === 'number') {
      path[path.length - 1] = (path[path.length - 1] as number) + 1;
    }
  }
  return undefined;
}
