import { Extensions } from 'type-graphql';
import type { MiddlewareFn } from 'type-graphql';
import { isAdmin } from '../core/principal';
import type { ApiContext } from './context';
import { forbidden } from './errors';

/**
 * Authorization is deny-by-default: every root Query/Mutation field is for admins unless it is
 * marked @SelfService(). Self-service fields then narrow what they read with restrictToSelf(), so a
 * new field added without thought is admin-only, never open.
 */
const SELF_SERVICE = 'tailgateSelfService';

/** Opens a root field to non-admins; the resolver must restrict what it returns to the caller. */
export const SelfService = (): ReturnType<typeof Extensions> => Extensions({ [SELF_SERVICE]: true });

export function requireAdmin(ctx: ApiContext): void {
  if (!isAdmin(ctx.principal)) throw forbidden('this operation is for Tailgate admins');
}

/**
 * The principal a self-service read is about. Admins get what they asked for (null: everyone);
 * everyone else gets themselves, and asking about someone else is FORBIDDEN.
 */
export function restrictToSelf(ctx: ApiContext, requested: string | null | undefined): string | null {
  if (isAdmin(ctx.principal)) return requested ?? null;
  if (requested !== null && requested !== undefined && requested !== ctx.principal.id) {
    throw forbidden(`you may only read your own records (${ctx.principal.id})`);
  }
  return ctx.principal.id;
}

/** Global middleware: enforces admin-only on root fields not marked @SelfService(). */
export const denyNonAdminsByDefault: MiddlewareFn<ApiContext> = async ({ context, info }, next) => {
  if (info.path.prev === undefined && !isAdmin(context.principal)) {
    const field = info.parentType.getFields()[info.fieldName];
    if (field?.extensions?.[SELF_SERVICE] !== true) {
      context.log.warn({ principal: context.principal.id, field: `${info.parentType.name}.${info.fieldName}` }, 'admin api: non-admin denied');
      throw forbidden('this operation is for Tailgate admins');
    }
  }
  return next();
};
