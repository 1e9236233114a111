import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import { SelfService } from '../auth';
import type { ApiContext } from '../context';
import { badInput } from '../errors';
import { ToolCount } from '../tool/tool.type';
import { SessionRequestLogArgs, SessionsArgs } from './session.input';
import { findSession, listSessionRequests, listSessions } from './session.service';
import { Session, SessionConnection, SessionRequestConnection } from './session.type';

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

  @FieldResolver(() => SessionRequestConnection, {
    description: 'The session\'s requests, oldest first, with their tool calls. Only on session(id), not on the sessions list.',
  })
  requestLog(
    @Root() session: Session,
    @Ctx() ctx: ApiContext,
    @Args(() => SessionRequestLogArgs) args: SessionRequestLogArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<SessionRequestConnection> {
    // One query per session: fine for session(id), a query per row under sessions(first: 200).
    // The parent being a root field (path: session → requestLog) is what session(id) looks like.
    if (info.path.prev?.prev !== undefined) throw badInput('requestLog is only available on session(id)', 'requestLog');
    return listSessionRequests(ctx, session.id, args);
  }
}
