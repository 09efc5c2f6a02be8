/**
 * Parsers of the CLI's option values: commander calls them as it reads each option, and a thrown
 * `InvalidArgumentError` names the option in the usage message.
 */
import { InvalidArgumentError } from 'commander';

export function wholeNumber(max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`It must be a whole number from 1 to ${max}.`);
    }
    return n;
  };
}

export function jsonObject(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`It must be a JSON object, e.g. '{"team":"growth"}'.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`It must be a JSON object, not ${JSON.stringify(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * A repeatable `key=value` option, gathered into one object; `value` is read by `parseValue`. `form` is how the
 * option's help writes it (`KEY=VALUE`, `NAME:VALUE`), repeated in the error.
 */
export function keyValue(separators: RegExp, parseValue: (raw: string) => unknown, form = 'KEY=VALUE') {
  return (item: string, previous: Record<string, unknown> = {}): Record<string, unknown> => {
    const match = separators.exec(item);
    const key = match ? item.slice(0, match.index).trim() : '';
    if (!match || !key) throw new InvalidArgumentError(`It takes ${form}.`);
    return { ...previous, [key]: parseValue(item.slice(match.index + 1)) };
  };
}

/** A JSON literal (`3`, `true`, `null`, `{"a":1}`, `"007"`) is parsed, any other value is text. */
export function jsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function requestBody(raw: string): unknown {
  const body = jsonOrText(raw);
  if (body === raw && /^\s*[[{]/.test(raw))
    throw new InvalidArgumentError('It looks like JSON but does not parse.');
  return body;
}
