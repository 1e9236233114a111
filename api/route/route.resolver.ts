import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { Provider } from '../provider/provider.type';
import type { ProviderRow } from '../provider/provider.service';
import { ModelRouteInput } from './route.input';
import { deleteModelRoute, listModelRoutes, upsertModelRoute, type ModelRouteRow } from './route.service';
import { ModelRoute } from './route.type';

@Resolver(() => ModelRoute)
export class ModelRouteResolver {
  @Query(() => [ModelRoute], { description: 'Exact model routes, by model. Admins only.' })
  modelRoutes(@Ctx() ctx: ApiContext): Promise<ModelRouteRow[]> {
    requireAdmin(ctx);
    return listModelRoutes(ctx.prisma);
  }

  @FieldResolver(() => Provider)
  async provider(@Root() route: ModelRouteRow, @Ctx() ctx: ApiContext): Promise<ProviderRow> {
    const provider = await ctx.loaders.providerById.load(route.providerId);
    // The foreign key cascades deletes, so a route without its provider is a broken invariant.
    if (!provider) throw new Error(`model route ${route.id}: provider ${route.providerId} not found`);
    return provider;
  }

  @Mutation(() => ModelRoute, { description: 'Creates or updates the route of a model.' })
  upsertModelRoute(@Ctx() ctx: ApiContext, @Arg('input', () => ModelRouteInput) input: ModelRouteInput): Promise<ModelRouteRow> {
    requireAdmin(ctx);
    return upsertModelRoute(ctx, input);
  }

  @Mutation(() => Boolean, { description: 'Deletes a route; false when there was no route with this id.' })
  deleteModelRoute(@Ctx() ctx: ApiContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    requireAdmin(ctx);
    return deleteModelRoute(ctx, id);
  }
}
