import type { GatewayError } from '../../errors';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'conflict_error',
  413: 'request_too_large',
  426: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** `{"type":"error","error":{"type","message"}}`, as api.anthropic.com answers. */
export function renderAnthropicError(error: GatewayError): string {
  return JSON.stringify({ type: 'error', error: { type: TYPE_BY_STATUS[error.status] ?? 'api_error', message: error.message } });
}

export function renderAnthropicStreamError(error: GatewayError): string {
  return `event: error\ndata: ${renderAnthropicError(error)}\n\n`;
}
