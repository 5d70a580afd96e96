// Small text helpers the views share: aligned columns that ignore colour codes, ages
// against the snapshot's time, and ANSI colour that is a no-op when off. Pure.

export type Paint = (text: string, colour: 'green' | 'red' | 'yellow' | 'bold' | 'dim') => string;

const CODES = { green: 32, red: 31, yellow: 33, bold: 1, dim: 2 } as const;

export function painter(colour: boolean): Paint {
  return colour ? (text, c) => `\u001b[${CODES[c]}m${text}\u001b[0m` : (text) => text;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Rows of cells as left-aligned columns two spaces apart, without trailing blanks. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell)))).join('  ').trimEnd())
    .join('\n');
}

/** "45s", "3m", "2h", "4d" from `then` to `now` (ISO times); "-" when unknown. */
export function age(then: string | undefined, now: string): string {
  if (!then) return '-';
  const ms = Date.parse(now) - Date.parse(then);
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
