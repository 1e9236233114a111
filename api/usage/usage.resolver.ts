import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { SelfService } from '../auth';
import type { ApiContext } from '../context';
import { UsageArgs } from './usage.input';
import { queryUsage } from './usage.service';
import { UsageRow } from './usage.type';

@Resolver(() => UsageRow)
export class UsageResolver {
  @Query(() => [UsageRow], {
    description: 'Usage from the daily rollup, grouped by the given dimensions (none: one total row). A range counts every UTC day it touches; default: the last 30 days. Non-admins: only their own.',
  })
  @SelfService()
  usage(@Ctx() ctx: ApiContext, @Args(() => UsageArgs) args: UsageArgs): Promise<UsageRow[]> {
    return queryUsage(ctx, args);
  }
}
