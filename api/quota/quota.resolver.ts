import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { requireAdmin, SelfService } from '../auth';
import type { ApiContext } from '../context';
import { QuotaInput } from './quota.input';
import { deleteQuota, listQuotas, quotaStatus, setQuota } from './quota.service';
import { Quota, QuotaStatus } from './quota.type';

@Resolver(() => Quota)
export class QuotaResolver {
  @Query(() => [Quota], { description: 'Every quota. Admins only.' })
  quotas(@Ctx() ctx: ApiContext): Promise<Quota[]> {
    requireAdmin(ctx);
    return listQuotas(ctx.prisma);
  }

  @Query(() => [QuotaStatus], { description: 'The quotas that apply to a principal (default: the caller) and what is left of each in the current window. Non-admins: only themselves.' })
  @SelfService()
  quotaStatus(
    @Ctx() ctx: ApiContext,
    @Arg('principal', () => String, { nullable: true }) principal?: string | null,
  ): Promise<QuotaStatus[]> {
    return quotaStatus(ctx, principal);
  }

  @Mutation(() => Quota, { description: 'Creates a quota, or replaces the limits of the one with the same subject, shared, window and models.' })
  setQuota(@Ctx() ctx: ApiContext, @Arg('input', () => QuotaInput) input: QuotaInput): Promise<Quota> {
    requireAdmin(ctx);
    return setQuota(ctx, input);
  }

  @Mutation(() => Boolean, { description: 'Deletes a quota and its usage counters; false when there was no quota with this id.' })
  deleteQuota(@Ctx() ctx: ApiContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    requireAdmin(ctx);
    return deleteQuota(ctx, id);
  }
}
