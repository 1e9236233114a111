import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type HTTPGraphQLResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Prisma } from '../core/db/client';
import type { Logger } from '../core/logger';
import type { Principal } from '../core/principal';
import type { KeyVault } from '../core/vault';
import { createContext, type ApiContext } from './context';
import { maxRootFieldsRule } from './limits';
import { buildAdminSchema } from './schema';

export interface AdminApiDeps {
  prisma: Prisma;
  vault: KeyVault;
  log: Logger;
  now?: () => Date;
}

export interface AdminApi {
  /** Handles one HTTP request to /graphql (POST JSON, and GET for queries). Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, principal: Principal, body: Buffer | null): Promise<void>;
  stop(): Promise<void>;
}

/** Largest request body accepted (a GraphQL document plus variables, never a payload). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The GraphQL admin API (type-graphql schema, Apollo Server 5) as a plain node:http handler the
 * gateway mounts at /graphql with the caller's Principal from whois.
 *
 * - Errors: FORBIDDEN / BAD_USER_INPUT / NOT_FOUND (and Apollo's own request and validation codes)
 *   reach the client as thrown. Anything else is logged with the request id and answered as
 *   "internal error" with that id: no database, driver or stack details leave the process.
 * - CSRF: identity is ambient (it comes from the connection, like a cookie), so Apollo's CSRF
 *   prevention stays on: a POST must be application/json, and a GET needs a non-simple header
 *   such as `apollo-require-preflight: true`. Mutations are refused over GET by Apollo.
 * - Nothing is sent to Apollo's cloud (usage and schema reporting disabled even if APOLLO_KEY is
 *   set) and there is no landing page (it would load Apollo's CDN).
 */
export async function createAdminApi(deps: AdminApiDeps): Promise<AdminApi> {
  const schema = await buildAdminSchema();
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ component: 'admin-api' });
  const requestIdOfError = new WeakMap<object, string>();
  // Keyed by request id: Apollo hands plugins a shallow copy of the context, not our object.
  const operationOf = new Map<string, string>();

  const observe: ApolloServerPlugin<ApiContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, operationName }) {
          operationOf.set(contextValue.requestId, `${operation?.operation ?? 'unknown'} ${operationName ?? '(anonymous)'}`);
        },
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (!isInternal(error)) continue;
            requestIdOfError.set(error, contextValue.requestId);
            contextValue.log.error({ err: unwrapResolverError(error), path: error.path }, 'admin api: internal error');
          }
        },
      };
    },
  };

  const server = new ApolloServer<ApiContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process entry point owns SIGINT/SIGTERM (it flushes the ledger first); Apollo must not.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    validationRules: [maxRootFieldsRule],
    logger: {
      debug: (message) => log.debug(String(message)),
      info: (message) => log.info(String(message)),
      warn: (message) => log.warn(String(message)),
      error: (message) => log.error(String(message)),
    },
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled(), observe],
    formatError: (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
      if (!isInternal(error)) return formatted;
      const requestId = typeof error === 'object' && error !== null ? requestIdOfError.get(error) : undefined;
      return {
        message: 'internal error',
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
      };
    },
  });
  await server.start();
  let stopped = false;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, principal: Principal, body: Buffer | null): Promise<void> {
    const startedAt = performance.now();
    const requestId = randomUUID();
    const reqLog = log.child({ reqId: requestId });
    try {
      if (stopped) return sendError(res, 503, 'SERVICE_UNAVAILABLE', 'the admin API is shutting down', requestId);
      const method = (req.method ?? 'GET').toUpperCase();
      const raw = body ?? (method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : null);
      if (raw === TOO_LARGE || (raw !== null && raw.length > MAX_BODY_BYTES)) {
        res.setHeader('connection', 'close');
        return sendError(res, 413, 'BAD_REQUEST', `request body is larger than ${MAX_BODY_BYTES} bytes`, requestId);
      }
      const headers = toHeaderMap(req.headers);
      let parsedBody: unknown;
      if (method === 'POST' && raw !== null) {
        const contentType = headers.get('content-type') ?? '';
        if (/^application\/json\s*(;|$)/i.test(contentType)) {
          try {
            parsedBody = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
          } catch {
            return sendError(res, 400, 'BAD_REQUEST', 'request body is not valid JSON', requestId);
          }
        } else {
          // Apollo answers 400 with its own explanation (and CSRF prevention refuses simple types).
          parsedBody = raw.toString('utf8');
        }
      }
      const url = req.url ?? '';
      const queryAt = url.indexOf('?');
      const context = createContext({ principal, prisma: deps.prisma, vault: deps.vault, log: reqLog, requestId, now });
      const result = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: queryAt >= 0 ? url.slice(queryAt) : '', body: parsedBody },
        context: async () => context,
      });
      const op = operationOf.get(requestId) ?? null;
      operationOf.delete(requestId);
      await writeResponse(res, result);
      reqLog.info({ principal: principal.id, op, status: res.statusCode, ms: Math.round(performance.now() - startedAt) }, 'admin api request');
    } catch (err) {
      operationOf.delete(requestId);
      reqLog.error({ err }, 'admin api: request failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error', requestId);
      else res.destroy();
    }
  }

  return {
    handle,
    async stop() {
      stopped = true;
      await server.stop();
    },
  };
}

/** Errors the client may see as thrown: GraphQL errors carrying a code other than INTERNAL_SERVER_ERROR. */
function isInternal(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (!(original instanceof GraphQLError)) return true;
  const code = original.extensions?.code;
  return typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR';
}

const TOO_LARGE = Symbol('body too large');

/**
 * Reads the body, giving up once it exceeds `limit`: the rest is neither buffered nor waited for
 * (the 413 goes out with `connection: close`). Events rather than for-await: leaving an async
 * iterator early destroys the socket, and the client would get no answer.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      req.pause();
      resolve(TOO_LARGE);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => onError(new Error('client closed the connection before the body ended'));
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function toHeaderMap(incoming: http.IncomingHttpHeaders): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

async function writeResponse(res: http.ServerResponse, result: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of result.headers) res.setHeader(name, value);
  res.setHeader('cache-control', 'no-store');
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, requestId: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] }));
}
