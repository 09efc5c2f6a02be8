/**
 * Latency summaries: an HDR histogram (3 significant digits, microsecond resolution) for the percentiles, and the
 * raw samples kept alongside for the plots.
 */
import hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface LatencyRecorder {
  /** Records one latency in milliseconds; negative values (earlier than due) are kept as 0 and counted. */
  record(ms: number): void;
  readonly samples: readonly number[];
  /** How many samples were below zero before clamping. */
  readonly negatives: number;
  summary(): LatencySummary;
}

const US_PER_MS = 1000;
const round = (ms: number): number => Math.round(ms * 100) / 100;

export function createLatencyRecorder(): LatencyRecorder {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 24 * 3_600_000 * US_PER_MS,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 64,
  });
  const samples: number[] = [];
  let negatives = 0;
  return {
    samples,
    get negatives() {
      return negatives;
    },
    record(ms) {
      if (ms < 0) negatives++;
      const clamped = Math.max(0, ms);
      samples.push(ms);
      histogram.recordValue(Math.round(clamped * US_PER_MS));
    },
    summary() {
      const at = (percentile: number) => round(histogram.getValueAtPercentile(percentile) / US_PER_MS);
      return {
        count: histogram.totalCount,
        minMs: round(samples.length ? Math.min(...samples) : 0),
        p50Ms: at(50),
        p90Ms: at(90),
        p99Ms: at(99),
        p999Ms: at(99.9),
        maxMs: round(histogram.maxValue / US_PER_MS),
        meanMs: round(histogram.mean / US_PER_MS),
      };
    },
  };
}

/** `p50 12.3 · p90 … · max …` for the console. */
export function formatSummary(summary: LatencySummary): string {
  const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);
  return `n=${summary.count} p50 ${ms(summary.p50Ms)} · p90 ${ms(summary.p90Ms)} · p99 ${ms(summary.p99Ms)} · max ${ms(summary.maxMs)}`;
}
