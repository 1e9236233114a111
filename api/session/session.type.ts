import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { SafeInt } from '../scalars';

@ObjectType('Session', { description: 'A run of requests by one principal from one client: the client\'s own session where it sends one, else split by idle time.' })
export class Session {
  @Field(() => ID, { description: 'The session id: the client\'s own where it sent one.' })
  id!: string;

  @Field(() => String, { description: 'Principal id.' })
  principal!: string;

  @Field(() => String)
  client!: string;

  @Field(() => [String])
  models!: string[];

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date)
  lastSeenAt!: Date;

  @Field(() => Int)
  requests!: number;

  @Field(() => SafeInt)
  inputTokens!: number;

  @Field(() => SafeInt)
  outputTokens!: number;

  @Field(() => SafeInt)
  cachedInputTokens!: number;

  @Field(() => SafeInt)
  cacheWriteTokens!: number;

  @Field(() => SafeInt)
  reasoningTokens!: number;

  @Field(() => Float, { description: 'US dollars.' })
  costUsd!: number;

  // toolCalls: resolved by SessionResolver through the per-request DataLoader.
}

@ObjectType('SessionEdge')
export class SessionEdge {
  @Field(() => Session)
  node!: Session;

  @Field(() => String)
  cursor!: string;
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('SessionConnection', { description: 'Sessions, most recently active first.' })
export class SessionConnection {
  @Field(() => [SessionEdge])
  edges!: SessionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Sessions matching the filters, over all pages.' })
  totalCount!: number;
}
