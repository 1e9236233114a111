import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { SelfService } from '../auth';
import type { ApiContext } from '../context';
import { ToolCount } from '../tool/tool.type';
import { SessionsArgs } from './session.input';
import { findSession, listSessions } from './session.service';
import { Session, SessionConnection } from './session.type';

@Resolver(() => Session)
export class SessionResolver {
  @Query(() => SessionConnection, {
    description: 'Sessions active in [from, to) (default: the last 30 days), most recently active first. Non-admins: only their own.',
  })
  @SelfService()
  sessions(@Ctx() ctx: ApiContext, @Args(() => SessionsArgs) args: SessionsArgs): Promise<SessionConnection> {
    return listSessions(ctx, args);
  }

  @Query(() => Session, { nullable: true, description: 'A session by id. Non-admins: null for sessions not their own.' })
  @SelfService()
  session(@Ctx() ctx: ApiContext, @Arg('id', () => ID) id: string): Promise<Session | null> {
    return findSession(ctx, id);
  }

  @FieldResolver(() => [ToolCount], { description: 'Tool calls in this session by tool, most-called first.' })
  toolCalls(@Root() session: Session, @Ctx() ctx: ApiContext): Promise<ToolCount[]> {
    return ctx.loaders.toolCountsBySession.load(session.id);
  }
}
