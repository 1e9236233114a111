// How numbers, money and times read on every page. Times are UTC throughout: the ledger's days
// are UTC days, and a team spread over time zones should see the same day boundaries.

const LOCALE = 'en-US';
const intFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const compactFormat = new Intl.NumberFormat(LOCALE, { notation: 'compact', maximumFractionDigits: 1 });
const usd2 = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usd4 = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

export const int = (n) => intFormat.format(n ?? 0);
export const compact = (n) => compactFormat.format(n ?? 0);

/** Dollars: cents for amounts of a dollar or more, up to 4 decimals below (token prices are tiny). */
export function usd(n) {
  if (n === null || n === undefined) return '—';
  return Math.abs(n) >= 1 || n === 0 ? usd2.format(n) : usd4.format(n);
}

/** Short dollar amounts for chart axes. */
export function usdCompact(n) {
  if (Math.abs(n) >= 1000) return `$${compactFormat.format(n)}`;
  return usd(n);
}

/** A share in [0, 1] as a percentage with one decimal; "—" when there is nothing to divide. */
export function pct(part, whole) {
  if (!whole) return '—';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

const pad = (n) => String(n).padStart(2, '0');

/** 2025-06-15 14:03 UTC */
export function dateTime(iso, { seconds = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${d.toISOString().slice(0, 10)} ${time} UTC`;
}

/** 1h 05m, 4m 10s, 12s, 850 ms */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (days > 0) return `${days}d ${pad(hours)}h`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad(secs)}s`;
  return `${secs}s`;
}

const CLIENT_NAMES = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  'gemini-cli': 'Gemini CLI',
  'openai-sdk': 'OpenAI SDK',
  'anthropic-sdk': 'Anthropic SDK',
  'google-genai-sdk': 'Google Gen AI SDK',
  sdk: 'SDK',
  other: 'Other',
};

/** The client families the gateway detects, by the names people know them by. */
export const clientName = (client) => CLIENT_NAMES[client] ?? client;
