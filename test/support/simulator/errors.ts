// Error bodies in each provider's own envelope (PROTOCOLS.md b–e). Messages never contain the key that was sent.

/** Error envelope families. Anthropic's OpenAI-compatible endpoint keeps Anthropic's envelope. */
export type ErrorDialect = 'openai' | 'anthropic' | 'gemini' | 'gemini-openai' | 'openrouter';

export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const OPENAI_TYPES: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'],
  403: ['invalid_request_error', 'unsupported_country_region_territory', 'Country, region, or territory not supported'],
  404: ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it.'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again in 1s.'],
  500: ['server_error', null, 'The server had an error while processing your request. Sorry about that!'],
  503: ['server_error', null, 'The server is overloaded or not ready yet.'],
};

const ANTHROPIC_TYPES: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out.'],
  529: ['overloaded_error', 'Overloaded'],
};

const GOOGLE_STATUS: Record<number, [status: string, message: string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  409: ['ABORTED', 'The request was aborted.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};

export function errorReply(dialect: ErrorDialect, status: number, message?: string, code?: string | null): ErrorReply {
  const requestId = `req_sim${Date.now().toString(36)}`;
  switch (dialect) {
    case 'openai': {
      const [type, defaultCode, defaultMessage] = OPENAI_TYPES[status]
        ?? (status >= 500 ? OPENAI_TYPES[500] : OPENAI_TYPES[400]);
      return { status, headers: { 'x-request-id': requestId },
        body: { error: { message: message ?? defaultMessage, type, param: null, code: code === undefined ? defaultCode : code } } };
    }
    case 'anthropic': {
      const [type, defaultMessage] = ANTHROPIC_TYPES[status]
        ?? (status >= 500 ? ANTHROPIC_TYPES[500] : ANTHROPIC_TYPES[400]);
      return { status, headers: { 'request-id': requestId },
        body: { type: 'error', error: { type, message: message ?? defaultMessage }, request_id: requestId } };
    }
    case 'gemini':
    case 'gemini-openai': {
      const error = googleError(status, message);
      // Gemini's OpenAI-compatible endpoint wraps the google.rpc.Status in a one-element array.
      return { status, body: dialect === 'gemini' ? { error } : [{ error }] };
    }
    case 'openrouter':
      return { status, body: { error: { code: status, message: message ?? openRouterMessage(status) } } };
  }
}

export function googleError(status: number, message?: string, details?: unknown[]): Record<string, unknown> {
  const [rpcStatus, defaultMessage] = GOOGLE_STATUS[status]
    ?? (status >= 500 ? GOOGLE_STATUS[500] : GOOGLE_STATUS[400]);
  return { code: status, message: message ?? defaultMessage, status: rpcStatus, ...(details ? { details } : {}) };
}

function openRouterMessage(status: number): string {
  if (status === 401) return 'No auth credentials found';
  if (status === 402) return 'Insufficient credits. Add more using https://openrouter.ai/settings/credits';
  if (status === 429) return 'Rate limit exceeded';
  if (status >= 500) return 'Provider returned error';
  return 'Invalid request';
}

/** Gemini's answer to a wrong API key: 400 INVALID_ARGUMENT with an ErrorInfo `API_KEY_INVALID` (not 401). */
export function geminiBadKey(dialect: 'gemini' | 'gemini-openai'): ErrorReply {
  const message = 'API key not valid. Please pass a valid API key.';
  const error = googleError(400, message, [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' } },
    { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
  ]);
  return { status: 400, body: dialect === 'gemini' ? { error } : [{ error }] };
}
