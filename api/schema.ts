import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AdoptionResolver } from './adoption/adoption.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { denyNonAdminsByDefault } from './auth';
import { ExportResolver } from './export/export.resolver';
import { PrincipalResolver } from './principal/principal.resolver';
import { ProviderResolver } from './provider/provider.resolver';
import { QuotaResolver } from './quota/quota.resolver';
import { ModelRouteResolver } from './route/route.resolver';
import { DateTime } from './scalars';
import { SessionResolver } from './session/session.resolver';
import { ToolResolver } from './tool/tool.resolver';
import { UsageResolver } from './usage/usage.resolver';

let built: Promise<GraphQLSchema> | undefined;

/**
 * The admin schema, built once per process from the decorated classes (type-graphql keeps its
 * metadata globally, so there is nothing to gain from building it twice).
 */
export function buildAdminSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [PrincipalResolver, ProviderResolver, ModelRouteResolver, QuotaResolver, UsageResolver, SessionResolver, ToolResolver, AdoptionResolver, AuditResolver, ExportResolver],
    scalarsMap: [{ type: Date, scalar: DateTime }],
    globalMiddlewares: [denyNonAdminsByDefault],
    // Inputs are validated with zod in the services; class-validator is not installed.
    validate: false,
    emitSchemaFile: false,
  });
  return built;
}

export const SCHEMA_FILE_HEADER =
  '# Generated from the type-graphql classes under api/ by printAdminSchema(). Do not edit by hand.\n' +
  '# Regenerate: UPDATE_SCHEMA=1 npx jest test/api/schema.test.ts\n\n';

/**
 * The SDL committed as api/schema.graphql, sorted: type-graphql orders types and root fields by
 * the order modules happen to load, which would make the file churn with unrelated imports.
 */
export function printAdminSchema(schema: GraphQLSchema): string {
  return `${SCHEMA_FILE_HEADER}${printSchema(lexicographicSortSchema(schema))}\n`;
}
