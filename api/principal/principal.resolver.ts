import { Ctx, Query, Resolver } from 'type-graphql';
import { isAdmin } from '../../core/principal';
import { SelfService } from '../auth';
import type { ApiContext } from '../context';
import { Principal } from './principal.type';

@Resolver(() => Principal)
export class PrincipalResolver {
  @Query(() => Principal, { description: 'The caller.' })
  @SelfService()
  me(@Ctx() ctx: ApiContext): Principal {
    const p = ctx.principal;
    return { id: p.id, kind: p.kind, login: p.login ?? null, tags: p.tags, displayName: p.displayName ?? null, isAdmin: isAdmin(p) };
  }
}
