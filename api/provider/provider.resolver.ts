import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { ProviderInput, SetProviderKeyArgs } from './provider.input';
import { listProviders, revokeKey, setProviderKey, upsertProvider, type ProviderRow } from './provider.service';
import { Provider, ProviderKey } from './provider.type';

@Resolver(() => Provider)
export class ProviderResolver {
  @Query(() => [Provider], { description: 'Every provider, by name. Admins only.' })
  providers(@Ctx() ctx: ApiContext): Promise<ProviderRow[]> {
    requireAdmin(ctx);
    return listProviders(ctx.prisma);
  }

  @FieldResolver(() => [ProviderKey], { description: 'All keys, newest first, including retired and revoked ones.' })
  keys(@Root() provider: Provider, @Ctx() ctx: ApiContext): Promise<ProviderKey[]> {
    return ctx.loaders.keysByProvider.load(provider.id);
  }

  @Mutation(() => Provider, { description: 'Creates or updates a provider by name.' })
  upsertProvider(@Ctx() ctx: ApiContext, @Arg('input', () => ProviderInput) input: ProviderInput): Promise<ProviderRow> {
    requireAdmin(ctx);
    return upsertProvider(ctx, input);
  }

  @Mutation(() => ProviderKey, {
    description: 'Stores a key for a provider (by name) as its ACTIVE key; the previous ACTIVE key becomes RETIRED. The key is encrypted at once and never shown again.',
  })
  setProviderKey(@Ctx() ctx: ApiContext, @Args(() => SetProviderKeyArgs) { provider, key }: SetProviderKeyArgs): Promise<ProviderKey> {
    requireAdmin(ctx);
    return setProviderKey(ctx, provider, key);
  }

  @Mutation(() => ProviderKey, { description: 'Withdraws a key: the gateway stops using it. Revoking a revoked key changes nothing.' })
  revokeProviderKey(@Ctx() ctx: ApiContext, @Arg('id', () => ID) id: string): Promise<ProviderKey> {
    requireAdmin(ctx);
    return revokeKey(ctx, id);
  }
}
