import { UsageError } from '../io';

/** The gateway's root URL as clients need it: http(s), no credentials/query/fragment, no trailing slash. */
export interface GatewayUrl {
  /** e.g. `https://ai.tail1234.ts.net` or `http://ai:8080/tailgate` */
  root: string;
  protocol: 'http:' | 'https:';
  /** Host name as the URL parser gives it (IPv6 in brackets). */
  hostname: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** Validates and normalises the `--url` argument. Throws UsageError with a message that says how to fix it. */
export function parseGatewayUrl(input: string): GatewayUrl {
  const raw = input.trim();
  if (raw === '') throw new UsageError('--url is empty; give the gateway address, e.g. https://ai.tail1234.ts.net');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const guess = /\.ts\.net(?::\d+)?(\/|$)/i.test(raw) ? `https://${raw}` : `http://${raw}`;
    throw new UsageError(`--url '${raw}' has no scheme; did you mean ${guess}?`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be http:// or https://, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--url must not contain a user name or password; the gateway knows you by your Tailscale identity');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError('--url must not contain a query (?…) or fragment (#…)');
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/v1(beta)?$/i.test(path)) {
    throw new UsageError(
      `--url should be the gateway's root, without ${path.slice(path.lastIndexOf('/'))}; tailgate adds the API path each client needs`,
    );
  }
  return { root: `${url.protocol}//${url.host}${path}`, protocol: url.protocol, hostname: url.hostname };
}
