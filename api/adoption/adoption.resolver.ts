import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { AdoptionArgs } from './adoption.input';
import { queryAdoption, queryPrincipalAdoption } from './adoption.service';
import { AdoptionPoint, PrincipalAdoption } from './adoption.type';

@Resolver(() => AdoptionPoint)
export class AdoptionResolver {
  @Query(() => [AdoptionPoint], { description: 'Active principals, requests and cost per UTC day the range touches (default: the last 30 days). Admins only.' })
  adoption(@Ctx() ctx: ApiContext, @Args(() => AdoptionArgs) args: AdoptionArgs): Promise<AdoptionPoint[]> {
    requireAdmin(ctx);
    return queryAdoption(ctx, args);
  }

  @Query(() => [PrincipalAdoption], {
    description: 'Every principal with a request in [from, to) (default: the last 30 days), newest first by first day: first and last day, active days, clients, and whether they came back after their first week. Admins only.',
  })
  principalAdoption(@Ctx() ctx: ApiContext, @Args(() => AdoptionArgs) args: AdoptionArgs): Promise<PrincipalAdoption[]> {
    requireAdmin(ctx);
    return queryPrincipalAdoption(ctx, args);
  }
}
