import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { AdoptionArgs } from './adoption.input';
import { queryAdoption } from './adoption.service';
import { AdoptionPoint } from './adoption.type';

@Resolver(() => AdoptionPoint)
export class AdoptionResolver {
  @Query(() => [AdoptionPoint], { description: 'Active principals, requests and cost per UTC day the range touches (default: the last 30 days). Admins only.' })
  adoption(@Ctx() ctx: ApiContext, @Args(() => AdoptionArgs) args: AdoptionArgs): Promise<AdoptionPoint[]> {
    requireAdmin(ctx);
    return queryAdoption(ctx, args);
  }
}
