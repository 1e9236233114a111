/**
 * Every error the gateway itself produces. Provider families render it in their own wire format;
 * nothing else builds error JSON by hand. `message` must be safe to show the caller: it never
 * contains a key, a prompt, or another user's identity.
 */
export type GatewayErrorCode =
  | 'identity_missing'
  | 'identity_unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_json'
  | 'model_missing'
  | 'model_unknown'
  | 'model_unsupported_here'
  | 'model_not_allowed'
  | 'body_too_large'
  | 'quota_exceeded'
  | 'quota_unavailable'
  | 'forbidden'
  | 'no_provider_key'
  | 'provider_disabled'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_auth_failed'
  | 'upstream_reset'
  | 'websocket_unsupported'
  | 'internal';

const STATUS: Record<GatewayErrorCode, number> = {
  identity_missing: 401,
  identity_unavailable: 503,
  not_found: 404,
  method_not_allowed: 405,
  invalid_json: 400,
  model_missing: 400,
  model_unknown: 404,
  model_unsupported_here: 400,
  model_not_allowed: 403,
  body_too_large: 413,
  quota_exceeded: 429,
  quota_unavailable: 503,
  forbidden: 403,
  no_provider_key: 503,
  provider_disabled: 503,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_auth_failed: 502,
  upstream_reset: 502,
  websocket_unsupported: 426,
  internal: 500,
};

export class GatewayError extends Error {
  readonly status: number;
  /** Seconds, for 429/503: becomes `retry-after`. */
  retryAfter?: number;
  /** Extra response headers (e.g. `allow`). */
  headers?: Record<string, string>;

  constructor(readonly code: GatewayErrorCode, message: string, options: { retryAfter?: number; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = STATUS[code];
    this.retryAfter = options.retryAfter;
    this.headers = options.headers;
  }
}

export const isGatewayError = (err: unknown): err is GatewayError => err instanceof GatewayError;
