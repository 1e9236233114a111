// The dashboard's only data source: POST /graphql on this origin. The gateway knows who is asking
// from the connection (Tailscale whois), so nothing here carries a credential. A JSON POST is what
// the API's CSRF rule asks of a browser.

export class ApiError extends Error {
  constructor(message, codes = []) {
    super(message);
    this.name = 'ApiError';
    this.codes = codes;
  }
}

/** Runs a GraphQL operation; resolves with `data`, rejects with ApiError on any error. */
export async function gql(query, variables = {}, { signal } = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError('The gateway could not be reached. Check your Tailscale connection and try again.');
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The gateway answered ${res.status} without a GraphQL response.`);
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    throw new ApiError(body.errors.map((e) => e.message).join('; '), body.errors.map((e) => e.extensions?.code ?? null));
  }
  return body.data;
}

/** The API allows this many root fields per operation (api/limits.ts); aliased batches stay below. */
export const MAX_ROOT_FIELDS = 20;
