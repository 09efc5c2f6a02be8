/**
 * The lateness plot in BENCHMARKS.md, drawn pixel by pixel into a PNG (pngjs, pure JS): no browser, no native
 * canvas. One panel per timer setting, one step line per side: the share of tasks per lateness bin.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

type Rgb = readonly [number, number, number];

const WIDTH = 1100;
const PANEL_HEIGHT = 420;
const MARGIN = { left: 90, right: 60, top: 70, bottom: 60 };
const BINS = 80;
const TEXT_SCALE = 2;

const SIDE_COLORS: Record<string, Rgb> = {
  pulse: [31, 119, 180],
  direct: [255, 127, 14],
  baseline: [44, 160, 44],
  default: [31, 119, 180],
  tuned: [214, 39, 40],
};
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];

interface Canvas {
  readonly png: PNG;
  set(x: number, y: number, color: Rgb): void;
  rect(x: number, y: number, w: number, h: number, color: Rgb): void;
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness?: number): void;
  text(x: number, y: number, value: string, color?: Rgb, scale?: number): void;
}

function createCanvas(width: number, height: number): Canvas {
  const png = new PNG({ width, height });
  png.data.fill(255);
  const set = (x: number, y: number, color: Rgb) => {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const at = (py * width + px) * 4;
    png.data[at] = color[0];
    png.data[at + 1] = color[1];
    png.data[at + 2] = color[2];
    png.data[at + 3] = 255;
  };
  const rect = (x: number, y: number, w: number, h: number, color: Rgb) => {
    for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) set(x + dx, y + dy, color);
  };
  return {
    png,
    set,
    rect,
    line(x0, y0, x1, y1, color, thickness = 1) {
      const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
      const offset = Math.floor(thickness / 2);
      for (let i = 0; i <= steps; i++) {
        const x = x0 + ((x1 - x0) * i) / steps;
        const y = y0 + ((y1 - y0) * i) / steps;
        rect(Math.round(x) - offset, Math.round(y) - offset, thickness, thickness, color);
      }
    },
    text(x, y, value, color = INK, scale = TEXT_SCALE) {
      [...value].forEach((char, i) => {
        const rows = glyph(char);
        for (let row = 0; row < GLYPH_HEIGHT; row++) {
          for (let col = 0; col < GLYPH_WIDTH; col++) {
            if (rows[row]![col] === '#')
              rect(x + (i * GLYPH_ADVANCE + col) * scale, y + row * scale, scale, scale, color);
          }
        }
      });
    },
  };
}

const textWidth = (value: string, scale = TEXT_SCALE) => value.length * GLYPH_ADVANCE * scale;

/** 1, 2 or 5 times a power of ten, at least `value`. */
function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

export interface PlotPanel {
  readonly title: string;
  /** Side → lateness samples in ms. */
  readonly samples: Record<string, readonly number[]>;
}

function drawPanel(canvas: Canvas, top: number, panel: PlotPanel, xMax: number): void {
  const plotLeft = MARGIN.left;
  const plotRight = WIDTH - MARGIN.right;
  const plotTop = top + MARGIN.top;
  const plotBottom = top + PANEL_HEIGHT - MARGIN.bottom;
  const plotWidth = plotRight - plotLeft;
  const plotHeight = plotBottom - plotTop;
  const binWidth = xMax / BINS;

  const sides = Object.entries(panel.samples).filter(([, samples]) => samples.length > 0);
  const shares = sides.map(([side, samples]) => {
    const counts = new Array<number>(BINS).fill(0);
    for (const value of samples) {
      const bin = Math.min(BINS - 1, Math.max(0, Math.floor(value / binWidth)));
      counts[bin]!++;
    }
    return { side, samples, share: counts.map((count) => (count / samples.length) * 100) };
  });
  const yMax = niceCeil(Math.max(1, ...shares.flatMap((s) => s.share)));

  canvas.text(plotLeft, top + 14, panel.title);
  // Grid, axes and ticks.
  for (let i = 0; i <= 5; i++) {
    const y = plotBottom - (plotHeight * i) / 5;
    canvas.line(plotLeft, y, plotRight, y, GRID);
    const label = `${Math.round(((yMax * i) / 5) * 10) / 10}%`;
    canvas.text(plotLeft - textWidth(label) - 8, y - 7, label);
  }
  for (let i = 0; i <= 10; i++) {
    const x = plotLeft + (plotWidth * i) / 10;
    canvas.line(x, plotTop, x, plotBottom, GRID);
    const label = formatMs((xMax * i) / 10);
    if (i % 2 === 0) canvas.text(x - textWidth(label) / 2, plotBottom + 10, label);
  }
  canvas.line(plotLeft, plotBottom, plotRight, plotBottom, INK, 2);
  canvas.line(plotLeft, plotTop, plotLeft, plotBottom, INK, 2);
  const axisLabel = 'lateness: callback arrival - due time (last bin holds everything beyond)';
  canvas.text(plotLeft + (plotWidth - textWidth(axisLabel)) / 2, plotBottom + 34, axisLabel);

  // One step line per side, and its p50/p99 marks along the top.
  for (const { side, share, samples } of shares) {
    const color = SIDE_COLORS[side] ?? INK;
    let previousY = plotBottom;
    share.forEach((value, bin) => {
      const x0 = plotLeft + (plotWidth * bin) / BINS;
      const x1 = plotLeft + (plotWidth * (bin + 1)) / BINS;
      const y = plotBottom - (plotHeight * value) / yMax;
      canvas.line(x0, previousY, x0, y, color, 2);
      canvas.line(x0, y, x1, y, color, 2);
      previousY = y;
    });
    canvas.line(plotRight, previousY, plotRight, plotBottom, color, 2);
    const sorted = [...samples].sort((a, b) => a - b);
    for (const p of [50, 99]) {
      const x = plotLeft + (plotWidth * Math.min(percentile(sorted, p), xMax)) / xMax;
      canvas.line(x, plotTop - 8, x, plotTop + 8, color, p === 50 ? 2 : 4);
    }
  }
  // Legend, top right.
  shares.forEach(({ side, samples }, i) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const label = `${side}: p50 ${formatMs(percentile(sorted, 50))}, p99 ${formatMs(percentile(sorted, 99))}, max ${formatMs(sorted.at(-1) ?? 0)}`;
    const x = plotRight - textWidth(label) - 10;
    const y = plotTop + 14 + i * 24;
    canvas.rect(x - 28, y + 2, 18, 10, SIDE_COLORS[side] ?? INK);
    canvas.text(x, y, label);
  });
}

/**
 * Writes a PNG with one panel per entry. Each panel's x axis reaches its largest p99.5 (the rarer tail piles up
 * in the last bin), so a tight distribution is not squashed by a wide one in another panel.
 */
export function drawLatenessPlot(file: string, panels: readonly PlotPanel[]): void {
  const canvas = createCanvas(WIDTH, PANEL_HEIGHT * panels.length + 40);
  canvas.text(
    MARGIN.left,
    10,
    'pulse fire lateness: share of tasks per bin (marks on top: p50 thin, p99 thick)',
    INK,
  );
  panels.forEach((panel, i) => {
    const sorted = Object.values(panel.samples).map((s) => [...s].sort((a, b) => a - b));
    const xMax = niceCeil(Math.max(10, ...sorted.map((values) => percentile(values, 99.5) * 1.1)));
    drawPanel(canvas, 30 + i * PANEL_HEIGHT, panel, xMax);
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(canvas.png));
}
