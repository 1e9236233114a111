import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { SelfService } from '../auth';
import type { ApiContext } from '../context';
import { ToolUsageArgs } from './tool.input';
import { queryToolUsage } from './tool.service';
import { ToolUsageRow } from './tool.type';

@Resolver(() => ToolUsageRow)
export class ToolResolver {
  @Query(() => [ToolUsageRow], { description: 'Tool calls by tool in [from, to), default the last 30 days. Non-admins: only their own calls.' })
  @SelfService()
  toolUsage(@Ctx() ctx: ApiContext, @Args(() => ToolUsageArgs) args: ToolUsageArgs): Promise<ToolUsageRow[]> {
    return queryToolUsage(ctx, args);
  }
}
