/**
 * The one error every `when` parser throws. Its message is the API's 400 `detail`, so it names the input, says
 * what is wrong with it and lists forms that do work.
 */

export const WHEN_EXAMPLES = [
  'now',
  '2026-12-01T09:00:00Z',
  '5m',
  'in 5 minutes',
  'tomorrow at 2pm',
  'tomorrow at 14:30',
  'monday at 9am',
  'next monday at 9am',
  'dec 25 10am',
  'noon',
  'every 30 seconds',
  'hourly',
  'daily at 9am',
  'every weekday at 2pm',
  'every monday and friday at 9am',
  '0 9 * * 1-5',
  '{"type": "once", "delay": "5m"}',
];

/** `when` could not be understood; the message names the input, gives the reason and lists forms that work. */
export class WhenParseError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(
      `Cannot understand when=${JSON.stringify(input)}: ${reason}. Examples that work: ${WHEN_EXAMPLES.join(', ')}.`,
    );
    this.name = 'WhenParseError';
  }
}

/** Throws a `WhenParseError` for `input`; typed `never` so callers can use it in expressions. */
export function reject(input: string, reason: string): never {
  throw new WhenParseError(input, reason);
}
