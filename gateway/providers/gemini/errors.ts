import type { GatewayError } from '../../errors';

const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  426: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** google.rpc.Status envelope: `{"error":{"code","message","status"}}`. */
export function renderGeminiError(error: GatewayError): string {
  return JSON.stringify({ error: { code: error.status, message: error.message, status: STATUS_NAME[error.status] ?? 'UNKNOWN' } });
}

export function renderGeminiStreamError(error: GatewayError): string {
  return `data: ${renderGeminiError(error)}\r\n\r\n`;
}
