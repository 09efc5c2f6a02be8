/**
 * Strict validation of 5-field cron expressions (minute hour day-of-month month day-of-week), limited to what
 * both classic cron and Temporal schedules read the same way: numbers, `*`, lists, ranges, steps and the
 * three-letter names JAN–DEC / SUN–SAT (7 is Sunday too). Anything else is rejected with the field it is in.
 */
import { reject } from './when-error.js';

export interface CronFields {
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dayOfMonth: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  /** 0 = Sunday; a written 7 is stored as 0. */
  readonly dayOfWeek: ReadonlySet<number>;
}

interface FieldRule {
  readonly key: keyof CronFields;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_ABBR = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_ABBR = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const RULES: readonly FieldRule[] = [
  { key: 'minute', label: 'minute', min: 0, max: 59 },
  { key: 'hour', label: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', label: 'day-of-month', min: 1, max: 31 },
  { key: 'month', label: 'month', min: 1, max: 12, names: MONTH_ABBR },
  { key: 'dayOfWeek', label: 'day-of-week', min: 0, max: 7, names: DAY_ABBR },
];

// Items may be empty (`1,,2`) so that such a typo still reaches the cron validator and its precise message.
const CRON_TOKEN = /^(?:\d+|\*|\?|[a-z]{3}|[lw])?(?:[-,/#](?:\d+|\*|\?|[a-z]{3}|[lw])?)*$/i;

/**
 * True when the words look like an attempt at cron (5 to 7 fields of numbers, `*` and short names, starting
 * with a number or `*`), so that a typo in one gets a cron error rather than "not a phrase".
 */
export function looksLikeCron(words: readonly string[]): boolean {
  return (
    words.length >= 5 &&
    words.length <= 7 &&
    /^[\d*]/.test(words[0]!) &&
    words.every((word) => CRON_TOKEN.test(word))
  );
}

function fieldError(input: string, rule: FieldRule, text: string, problem: string): never {
  return reject(input, `its ${rule.label} field "${text}" ${problem}`);
}

function parseValue(input: string, rule: FieldRule, field: string, text: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < rule.min || value > rule.max) {
      return fieldError(input, rule, field, `is out of range: ${text} is not within ${rule.min}-${rule.max}`);
    }
    return value;
  }
  const index = rule.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return rule.key === 'month' ? index + 1 : index;
  if (text === '?') {
    return fieldError(input, rule, field, 'uses "?", which plain cron does not have; write "*"');
  }
  if (/^[lw#]$/i.test(text) || text.includes('#')) {
    return fieldError(input, rule, field, `uses "${text}", which Temporal schedules do not support`);
  }
  const hint = rule.names ? ` or a name such as ${rule.names[1]!.toUpperCase()}` : '';
  return fieldError(input, rule, field, `is not valid: "${text}" is not a number${hint}`);
}

/** The values one comma-separated part of a field matches: `*`, `5`, `1-5`, `*\/15`, `10-50/10`, `5/15`. */
function partValues(input: string, rule: FieldRule, field: string, part: string): number[] {
  if (part === '') return fieldError(input, rule, field, 'has an empty list item');
  const pieces = part.split('/');
  if (pieces.length > 2) return fieldError(input, rule, field, `has more than one "/" in "${part}"`);
  const [range, stepText] = pieces as [string, string | undefined];
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      return fieldError(input, rule, field, `has step "${stepText}"; a step is a whole number of at least 1`);
    }
    step = Number(stepText);
    if (step > rule.max - rule.min) {
      return fieldError(
        input,
        rule,
        field,
        `has step ${step}, larger than the field's whole range ${rule.min}-${rule.max}`,
      );
    }
  }
  let start = rule.min;
  let end = rule.max;
  if (range !== '*') {
    const bounds = range.split('-');
    if (bounds.length > 2) return fieldError(input, rule, field, `has a malformed range "${range}"`);
    start = parseValue(input, rule, field, bounds[0]!);
    end =
      bounds.length === 2
        ? parseValue(input, rule, field, bounds[1]!)
        : stepText !== undefined
          ? rule.max
          : start;
    if (end < start) {
      return fieldError(
        input,
        rule,
        field,
        `has the range "${range}" running backwards; write it from low to high`,
      );
    }
  }
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(rule.key === 'dayOfWeek' && v === 7 ? 0 : v);
  return values;
}

function parseField(input: string, rule: FieldRule, field: string): Set<number> {
  return new Set(field.split(',').flatMap((part) => partValues(input, rule, field, part)));
}

/** The longest each month can be, counting Feb 29. */
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Validates a cron expression and returns it normalised (single spaces) with the values each field matches.
 * Throws `WhenParseError` naming the offending field.
 */
export function parseCron(
  expression: string,
  input = expression,
): { expression: string; fields: CronFields } {
  const words = expression.trim().split(/\s+/);
  if (words.length !== 5) {
    return reject(
      input,
      `a cron expression here has 5 fields (minute hour day-of-month month day-of-week), this one has ${words.length}`,
    );
  }
  const sets = RULES.map((rule, i) => parseField(input, rule, words[i]!));
  const [minute, hour, dayOfMonth, month, dayOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (words[2] !== '*' && words[4] !== '*') {
    return reject(
      input,
      `it restricts both day-of-month ("${words[2]}") and day-of-week ("${words[4]}"); classic cron fires when either ` +
        'matches but Temporal only when both do, so restrict just one of them',
    );
  }
  const fits = [...month].some((m) => [...dayOfMonth].some((d) => d <= MONTH_MAX_DAYS[m - 1]!));
  if (!fits) {
    return reject(
      input,
      `its day-of-month field "${words[2]}" never occurs in the months "${words[3]}", so it never fires`,
    );
  }
  return { expression: words.join(' '), fields: { minute, hour, dayOfMonth, month, dayOfWeek } };
}
