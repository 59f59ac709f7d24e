/** Small helpers shared by `portseg matte` and `portseg bench`: numbers, sizes, tables. */
import { fileURLToPath } from 'node:url'
import { badArgument } from '../../shared/errors.js'
import type { DownsampleRatio, ProviderPreference, ProviderReport } from '../engine/index.js'

/** The inference worker bundled next to the CLI (out/cli/inference.worker.js). */
export function bundledWorkerPath(): string {
  return fileURLToPath(new URL('./inference.worker.js', import.meta.url))
}

/** Value at quantile q (0..1) of an unsorted sample, nearest-rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[idx]!
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Rounds for JSON output (keeps numbers readable without losing what matters). */
export function round(v: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

const PROVIDER_CHOICES: readonly ProviderPreference[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu']

export function parseProvider(where: string, v: string): ProviderPreference {
  if (!(PROVIDER_CHOICES as readonly string[]).includes(v)) throw badArgument(where, '--provider', `one of ${PROVIDER_CHOICES.join(', ')}`, v)
  return v as ProviderPreference
}

export function parseRatio(where: string, v: string): DownsampleRatio {
  if (v === 'auto') return 'auto'
  const r = Number(v)
  if (!Number.isFinite(r) || r <= 0 || r > 1) throw badArgument(where, '--downsample-ratio', "'auto' or a number in (0, 1]", v)
  return r
}

export function parsePositiveInt(where: string, param: string, v: string, min = 1): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw badArgument(where, param, `an integer ≥ ${min}`, v)
  return n
}

export interface Size {
  width: number
  height: number
}

/** "1280x720" → { width: 1280, height: 720 } (even sides, 16..8192). */
export function parseSize(where: string, v: string): Size {
  const m = /^(\d+)x(\d+)$/i.exec(v.trim())
  const width = m ? Number(m[1]) : Number.NaN
  const height = m ? Number(m[2]) : Number.NaN
  if (!(width >= 16 && width <= 8192 && height >= 16 && height <= 8192)) throw badArgument(where, '--size', 'WIDTHxHEIGHT with sides 16..8192, e.g. 1280x720', v)
  return { width, height }
}

/** "cpu (cuda skipped: …; webgpu failed: …)" in one line. */
export function describeProvider(report: ProviderReport): string[] {
  const lines = [`provider: ${report.selected}`]
  for (const a of report.attempts) {
    if (a.provider === report.selected && a.ok) continue
    lines.push(`  ${a.provider}: ${a.ok ? 'available' : 'skipped'}: ${a.reason}`)
  }
  return lines
}

/** Fixed-width text table: first row is the header; numbers right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows
    .map((r) => r.map((c, i) => (/^[\d.,×x%-]+$/.test(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n')
}

export function fmtMs(v: number): string {
  return Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-'
}
