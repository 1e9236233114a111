import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLArgument,
} from 'graphql';
import { buildAdminSchema, printAdminSchema } from '../../api/schema';

/**
 * api/schema.graphql is the committed contract of the admin API. This fails when the code and the
 * file disagree. After an intended change, regenerate and review the diff:
 *
 *   UPDATE_SCHEMA=1 npx jest test/api/schema.test.ts
 */
const SCHEMA_FILE = path.join(__dirname, '../../api/schema.graphql');

describe('api/schema.graphql', () => {
  it('matches the schema built from the code', async () => {
    const printed = printAdminSchema(await buildAdminSchema());
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, printed);
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      throw new Error(`${SCHEMA_FILE} is missing: run UPDATE_SCHEMA=1 npx jest test/api/schema.test.ts`);
    }
    if (committed !== printed) {
      throw new Error('api/schema.graphql has drifted from the code. If the change is intended, run UPDATE_SCHEMA=1 npx jest test/api/schema.test.ts and commit the file.');
    }
  });

  it('keeps every type, field and argument issues #6 and #7 made part of the contract, with the same types', async () => {
    const ours = await buildAdminSchema();
    const contract = buildSchema(CONTRACT);
    const problems: string[] = [];
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
      const mine = ours.getType(type.name);
      if (!mine || mine.constructor !== type.constructor) {
        problems.push(`${type.name}: missing or of another kind`);
        continue;
      }
      if (isEnumType(type) && isEnumType(mine)) {
        const values = new Set(mine.getValues().map((v) => v.name));
        for (const v of type.getValues()) if (!values.has(v.name)) problems.push(`${type.name}.${v.name}: missing`);
      }
      if ((isObjectType(type) && isObjectType(mine)) || (isInputObjectType(type) && isInputObjectType(mine))) {
        const myFields = mine.getFields() as Record<string, { type: unknown; args?: readonly GraphQLArgument[] }>;
        for (const field of Object.values(type.getFields() as Record<string, { name: string; type: unknown; args?: readonly GraphQLArgument[] }>)) {
          const myField = myFields[field.name];
          if (!myField) {
            problems.push(`${type.name}.${field.name}: missing`);
            continue;
          }
          if (String(myField.type) !== String(field.type)) problems.push(`${type.name}.${field.name}: ${String(myField.type)}, contract says ${String(field.type)}`);
          const myArgs = new Map((myField.args ?? []).map((a) => [a.name, a]));
          for (const arg of field.args ?? []) {
            const myArg = myArgs.get(arg.name);
            if (!myArg) problems.push(`${type.name}.${field.name}(${arg.name}): missing`);
            else if (String(myArg.type) !== String(arg.type)) problems.push(`${type.name}.${field.name}(${arg.name}): ${String(myArg.type)}, contract says ${String(arg.type)}`);
            myArgs.delete(arg.name);
          }
          // Arguments we added must be optional, or existing clients break.
          for (const extra of myArgs.values()) if (isNonNullType(extra.type)) problems.push(`${type.name}.${field.name}(${extra.name}): added as required`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

// The SDL of issue #6 (and quotaStatus from #7), verbatim: names here are binding.
const CONTRACT = /* GraphQL */ `
scalar DateTime
scalar SafeInt
enum PrincipalKind { USER TAGGED DEV }
type Principal { id: String!  kind: PrincipalKind!  login: String  tags: [String!]!  displayName: String  isAdmin: Boolean! }
enum ProviderKind { OPENAI ANTHROPIC GEMINI OPENROUTER OPENAI_COMPATIBLE }
enum KeyState { ACTIVE RETIRED REVOKED }
type ProviderKey { id: ID!  fingerprint: String!  last4: String!  state: KeyState!  createdAt: DateTime!  lastUsedAt: DateTime }
type Provider { id: ID!  name: String!  kind: ProviderKind!  baseUrl: String!  enabled: Boolean!  keys: [ProviderKey!]! }
type ModelRoute { id: ID!  model: String!  provider: Provider!  upstreamModel: String }
enum QuotaWindow { MINUTE HOUR DAY WEEK MONTH }
type Quota { id: ID!  subject: String!  shared: Boolean!  window: QuotaWindow!  maxRequests: Int  maxTokens: SafeInt  maxCostUsd: Float  models: [String!] }
enum UsageDimension { MODEL PRINCIPAL PROVIDER CLIENT DAY }
type UsageRow { model: String  principal: String  provider: String  client: String  day: String
  requests: Int!  errors: Int!  inputTokens: SafeInt!  outputTokens: SafeInt!  cachedInputTokens: SafeInt!
  cacheWriteTokens: SafeInt!  reasoningTokens: SafeInt!  costUsd: Float! }
type ToolCount { tool: String!  calls: Int! }
type Session { id: ID!  principal: String!  client: String!  models: [String!]!  startedAt: DateTime!  lastSeenAt: DateTime!
  requests: Int!  inputTokens: SafeInt!  outputTokens: SafeInt!  costUsd: Float!  toolCalls: [ToolCount!]! }
type SessionEdge { node: Session!  cursor: String! }
type PageInfo { hasNextPage: Boolean!  endCursor: String }
type SessionConnection { edges: [SessionEdge!]!  pageInfo: PageInfo!  totalCount: Int! }
type ToolUsageRow { tool: String!  calls: Int!  principals: Int!  sessions: Int! }
type AdoptionPoint { day: String!  activePrincipals: Int!  requests: Int!  costUsd: Float! }
type AuditEvent { id: ID!  at: DateTime!  actor: String!  action: String!  target: String  detail: String }
input UsageFilter { principal: String  model: String  provider: String  client: String }
input QuotaInput { subject: String!  shared: Boolean  window: QuotaWindow!  maxRequests: Int  maxTokens: SafeInt  maxCostUsd: Float  models: [String!] }
input ModelRouteInput { model: String!  provider: String!  upstreamModel: String }
input ProviderInput { name: String!  kind: ProviderKind!  baseUrl: String!  enabled: Boolean }
type Query {
  me: Principal!
  providers: [Provider!]!
  modelRoutes: [ModelRoute!]!
  quotas: [Quota!]!
  usage(from: DateTime, to: DateTime, groupBy: [UsageDimension!]!, filter: UsageFilter): [UsageRow!]!
  sessions(first: Int, after: String, principal: String, client: String, from: DateTime, to: DateTime): SessionConnection!
  session(id: ID!): Session
  toolUsage(from: DateTime, to: DateTime): [ToolUsageRow!]!
  adoption(from: DateTime, to: DateTime): [AdoptionPoint!]!
  auditLog(first: Int, after: String): [AuditEvent!]!
}
type Mutation {
  upsertProvider(input: ProviderInput!): Provider!
  setProviderKey(provider: String!, key: String!): ProviderKey!
  revokeProviderKey(id: ID!): ProviderKey!
  upsertModelRoute(input: ModelRouteInput!): ModelRoute!
  deleteModelRoute(id: ID!): Boolean!
  setQuota(input: QuotaInput!): Quota!
  deleteQuota(id: ID!): Boolean!
}
type QuotaStatus { quota: Quota!  windowEnd: DateTime!  usedRequests: Int!  usedTokens: SafeInt!  usedCostUsd: Float!
  remainingRequests: Int  remainingTokens: SafeInt  remainingCostUsd: Float }
extend type Query { quotaStatus(principal: String): [QuotaStatus!]! }
`;
