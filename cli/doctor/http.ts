/**
 * The one way doctor talks to the gateway: a request with a deadline that covers the body too, resolved to
 * either an answer (any HTTP status) or the error that kept it from arriving. Never throws.
 */

/** What doctor needs of `fetch`; undici's and Node's global fetch both fit, and tests pass one bound to a source IP. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface HttpAnswer {
  kind: 'answer';
  status: number;
  headers: { get(name: string): string | null };
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  text: string;
  ms: number;
}

export interface HttpFailure {
  kind: 'failed';
  error: unknown;
  ms: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export async function send(fetch: FetchLike, root: string, request: HttpRequest, timeoutMs: number): Promise<HttpAnswer | HttpFailure> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const headers: Record<string, string> = { 'user-agent': 'tailgate-doctor', accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${root}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { kind: 'answer', status: res.status, headers: res.headers, json, text, ms: elapsed() };
  } catch (error) {
    return { kind: 'failed', error, ms: elapsed() };
  }
}
