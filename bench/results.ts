/**
 * Benchmark results people can read: a Markdown table under bench/results/
 * and, when a chart is asked for, a PNG drawn by Chart.js in the Chromium the
 * tests already use (playwright-core drives it; nothing is fetched from the
 * network: Chart.js's UMD file is read from node_modules).
 *
 * KITH_BENCH_RESULTS (or the `dir` option) sends the files elsewhere, so a
 * test can run a benchmark without touching the checked-in results.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/chromium.js';

export interface ChartSpec {
  readonly type: 'bar' | 'line';
  /** One per group on the x axis. */
  readonly labels: readonly string[];
  /** One per series; null leaves a gap (a figure not measured). */
  readonly datasets: readonly { readonly label: string; readonly data: readonly (number | null)[] }[];
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** A logarithmic y axis, for figures that span orders of magnitude. */
  readonly logY?: boolean;
}

export interface Results {
  readonly title: string;
  /** The machine line, see machineLine(). */
  readonly machine: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  readonly chart?: ChartSpec;
  /** Lines printed under the table: what was prepared, what was measured, how bytes were counted. */
  readonly notes?: readonly string[];
}

export interface WriteOptions {
  /** Where the files go; default KITH_BENCH_RESULTS, else bench/results in the repository. */
  readonly dir?: string;
}

const CHART_SIZE = { width: 960, height: 540 };
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** bench/results in the repository, from either bench/ (ts) or dist/bench/ (compiled). */
function defaultDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = here.endsWith(join('dist', 'bench')) ? join(here, '..', '..') : join(here, '..');
  return join(repo, 'bench', 'results');
}

/** CPU model, cores, Node version, OS and date: what a reader needs to weigh the figures. */
export function machineLine(date = new Date()): string {
  const cpu = cpus();
  const model = (cpu[0]?.model ?? 'unknown CPU').trim().replace(/\s+/g, ' ');
  return `${model}, ${cpu.length} core${cpu.length === 1 ? '' : 's'}, Node ${process.version}, ${platform()} ${release()}, ${date.toISOString().slice(0, 10)}`;
}

const cell = (v: string | number) => (typeof v === 'number' ? v.toLocaleString('en-US') : v).replace(/\|/g, '\\|');

export function markdownTable(r: Results): string {
  const lines = [`## ${r.title}`, '', `Machine: ${r.machine}`, ''];
  lines.push(`| ${r.columns.map(cell).join(' | ')} |`);
  lines.push(`|${r.columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const row of r.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

// One browser for every chart a process draws: a test that runs two benchmarks launches it once.
let browser: Promise<Browser> | undefined;

/** Closes the browser charts were drawn in, if one was launched; a process that drew charts calls it before it ends. */
export async function closeChartBrowser(): Promise<void> {
  const b = browser;
  browser = undefined;
  if (b) await (await b).close();
}

/** Draws the chart with Chart.js in a blank page and returns the PNG. */
export async function renderChart(title: string, spec: ChartSpec): Promise<Buffer> {
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  const page = await (await browser).newPage({ viewport: CHART_SIZE, deviceScaleFactor: 1 });
  try {
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:#fff"><canvas id="c" width="${CHART_SIZE.width}" height="${CHART_SIZE.height}"></canvas></body></html>`,
    );
    // The package exports only its modules; the UMD build, which a plain page can load, sits beside them.
    const chartJs = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
    await page.addScriptTag({ content: readFileSync(chartJs, 'utf8') });
    const config = {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({
          label: d.label,
          data: d.data,
          backgroundColor: PALETTE[i % PALETTE.length],
          borderColor: PALETTE[i % PALETTE.length],
          spanGaps: false,
        })),
      },
      options: {
        animation: false,
        responsive: false,
        devicePixelRatio: 1,
        plugins: { title: { display: true, text: title, font: { size: 16 } }, legend: { position: 'bottom' } },
        scales: {
          x: { title: { display: !!spec.xTitle, text: spec.xTitle ?? '' } },
          y: { type: spec.logY ? 'logarithmic' : 'linear', title: { display: !!spec.yTitle, text: spec.yTitle ?? '' } },
        },
      },
    };
    const dataUrl = await page.evaluate((cfg) => {
      // Runs in the page: Chart.js drew on a transparent canvas, so paint white behind it for viewers with dark backgrounds.
      const w = globalThis as unknown as { Chart: new (el: unknown, c: unknown) => unknown; document: { getElementById(id: string): unknown } };
      const background = {
        id: 'background',
        beforeDraw(chart: { ctx: { save(): void; restore(): void; fillRect(...a: number[]): void; fillStyle: string }; width: number; height: number }) {
          chart.ctx.save();
          chart.ctx.fillStyle = '#ffffff';
          chart.ctx.fillRect(0, 0, chart.width, chart.height);
          chart.ctx.restore();
        },
      };
      const canvas = w.document.getElementById('c') as { toDataURL(type: string): string };
      new w.Chart(canvas, { ...cfg, plugins: [background] });
      return canvas.toDataURL('image/png');
    }, config);
    return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  } finally {
    await page.close();
  }
}

/** Writes <dir>/<name>.md and, with a chart, <dir>/<name>.png; returns their paths. */
export async function writeResults(name: string, r: Results, opts: WriteOptions = {}): Promise<{ markdown: string; png?: string }> {
  const dir = opts.dir ?? process.env.KITH_BENCH_RESULTS ?? defaultDir();
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, `${name}.md`);
  writeFileSync(markdown, markdownTable(r));
  if (!r.chart) return { markdown };
  const png = join(dir, `${name}.png`);
  writeFileSync(png, await renderChart(r.title, r.chart));
  return { markdown, png };
}
