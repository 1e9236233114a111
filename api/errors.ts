import { GraphQLError } from 'graphql';
import type { z } from 'zod';

/**
 * The error codes the admin API answers with on purpose. Anything else a resolver throws is an
 * internal error: index.ts logs it with the request id and answers "internal error", so database
 * or driver details never reach a client.
 */
export const ErrorCode = {
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
} as const;

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

export function badInput(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
}

export function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NOT_FOUND } });
}

/**
 * Validates a GraphQL input beyond its types. One BAD_USER_INPUT error names every problem as
 * `path: message` (e.g. `input.models[1]: ...`), with the first path in `extensions.field`.
 * Schemas must not echo values in their messages: inputs can hold things that belong in no log.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, argName: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = [argName, ...issue.path].reduce<string>((at, part) => (typeof part === 'number' ? `${at}[${part}]` : `${at}.${String(part)}`), '').slice(1);
    return { path, message: issue.message };
  });
  throw badInput(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems[0]?.path);
}
