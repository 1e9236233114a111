import type { GatewayError } from '../../errors';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  426: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

const CODE: Partial<Record<GatewayError['code'], string>> = {
  identity_missing: 'tailgate_identity_missing',
  model_unknown: 'model_not_found',
  model_not_allowed: 'tailgate_model_not_allowed',
  quota_exceeded: 'rate_limit_exceeded',
  body_too_large: 'request_too_large',
  invalid_json: 'invalid_json',
  model_missing: 'missing_model',
};

/** `{"error":{"message","type","param","code"}}`, as api.openai.com answers. */
export function renderOpenAiError(error: GatewayError): string {
  const type = TYPE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  return JSON.stringify({
    error: { message: error.message, type, param: error.code === 'model_missing' || error.code === 'model_unknown' ? 'model' : null, code: CODE[error.code] ?? `tailgate_${error.code}` },
  });
}

export function renderOpenAiStreamError(error: GatewayError): string {
  return `data: ${renderOpenAiError(error)}\n\n`;
}

/** Responses streams end with a typed `error` event, not a bare data line. */
export function renderResponsesStreamError(error: GatewayError): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', code: `tailgate_${error.code}`, message: error.message, param: null })}\n\n`;
}
