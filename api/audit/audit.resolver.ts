import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { AuditLogArgs } from './audit.input';
import { listAuditEvents } from './audit.service';
import { AuditEvent } from './audit.type';

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => [AuditEvent], { description: 'Admin changes, newest first. Admins only.' })
  auditLog(@Ctx() ctx: ApiContext, @Args(() => AuditLogArgs) args: AuditLogArgs): Promise<AuditEvent[]> {
    requireAdmin(ctx);
    return listAuditEvents(ctx.prisma, args.first, args.after);
  }
}
