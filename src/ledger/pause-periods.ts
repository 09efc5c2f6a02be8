/**
 * The periods a recurring task was paused or cancelled through the API: Temporal keeps only whether a schedule is
 * paused now (and a note), not since when, so the API writes each period into the schedule action's memo when it
 * pauses, resumes or cancels. The schedule's own memo cannot be changed after creation; the action's can, in the
 * same update that pauses. Pure: the ledger reads these, `kinds/schedule-updates.ts` writes them.
 */

/** Memo key of the recorded periods (in the schedule action's memo, so each run carries it too). */
export const PAUSE_PERIODS_MEMO_KEY = 'pulse_pause_periods';
/** Most periods kept: older ones fall out of the ledger's reasons, not out of Temporal's record of runs. */
const MAX_PERIODS = 100;

export interface PausePeriod {
  readonly kind: 'paused' | 'cancelled';
  /** ISO-8601 instant the pause (or cancel) took effect. */
  readonly from: string;
  /** When it was resumed; absent while it lasts (always absent for a cancel). */
  readonly to?: string;
  /** Never stored: the ledger's stand-in for a pause made outside the API, whose start Temporal does not keep. */
  readonly outside?: boolean;
}

/** The recorded periods in a memo, ignoring anything malformed. */
export function pausePeriodsOf(memo: Record<string, unknown> | undefined): PausePeriod[] {
  const raw = memo?.[PAUSE_PERIODS_MEMO_KEY];
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (p): p is PausePeriod =>
      typeof p === 'object' &&
      p !== null &&
      (p.kind === 'paused' || p.kind === 'cancelled') &&
      typeof p.from === 'string' &&
      (p.to === undefined || typeof p.to === 'string'),
  );
}

/** The periods after a pause, a resume or a cancel at `at`. Pausing a paused task changes nothing. */
export function withPauseEvent(
  periods: readonly PausePeriod[],
  event: 'pause' | 'resume' | 'cancel',
  at: Date,
): PausePeriod[] {
  const list = [...periods];
  const open =
    list.length > 0 && list[list.length - 1]!.to === undefined ? list[list.length - 1]! : undefined;
  const iso = at.toISOString();
  if (event === 'resume') {
    if (open?.kind === 'paused') list[list.length - 1] = { ...open, to: iso };
  } else if (event === 'pause') {
    if (!open) list.push({ kind: 'paused', from: iso });
  } else if (open?.kind !== 'cancelled') {
    if (open) list[list.length - 1] = { ...open, to: iso };
    list.push({ kind: 'cancelled', from: iso });
  }
  return list.slice(-MAX_PERIODS);
}
