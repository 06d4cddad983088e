import type { ValueFormat } from './types';

/**
 * A key or value for display: `text` (UTF-8; bytes that are not valid UTF-8 are shown as hex
 * with a `0x` prefix), `json` (pretty-printed when the bytes parse as JSON, else as text) or `hex`.
 * A null value renders as `null`.
 */
export function renderBytes(buf: Buffer | null, format: ValueFormat): string {
  if (buf === null) return 'null';
  if (format === 'hex') return buf.toString('hex');
  const text = utf8OrUndefined(buf);
  if (text === undefined) return '0x' + buf.toString('hex');
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

function utf8OrUndefined(buf: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}

/**
 * TIME as `--from/--to` take it: ISO-8601 (`2026-12-07T03:00:00Z`), epoch milliseconds, or
 * relative to `nowMs` (`-1h`, `-30m`, `-2d`, `-10s`, `now`).
 */
export function parseTime(input: string, nowMs: number = Date.now()): bigint {
  const s = input.trim();
  if (s === 'now') return BigInt(nowMs);
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(s);
  if (rel) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 'ms'];
    return BigInt(Math.round(nowMs - Number(rel[1]) * unit));
  }
  if (/^\d{1,16}$/.test(s)) return BigInt(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) return BigInt(ms);
  }
  throw new Error(`cannot read time '${input}': use ISO-8601 (2026-12-07T03:00:00Z), epoch ms, or relative like -1h, -30m, -2d`);
}
