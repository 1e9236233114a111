import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { SafeInt } from '../scalars';
import { TokenTotals } from '../shared/token-totals.type';
import { ToolCount } from '../tool/tool.type';

@ObjectType('Session', { description: 'A run of requests by one principal from one client: the client\'s own session where it sends one, else split by idle time.' })
export class Session extends TokenTotals {
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


  // toolCalls: resolved by SessionResolver through the per-request DataLoader; requestLog by
  // SessionResolver too, for session(id) only.
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

@ObjectType('SessionRequest', { description: 'One model call of a session, as the ledger recorded it.' })
export class SessionRequest {
  @Field(() => ID, { description: 'The gateway\'s request id (x-tailgate-request-id).' })
  id!: string;

  @Field(() => Date, { description: 'When the gateway received the call.' })
  at!: Date;

  @Field(() => String, { description: 'The model as the client named it.' })
  model!: string;

  @Field(() => String)
  provider!: string;

  @Field(() => String, { description: 'The API called, e.g. chat, responses, messages.' })
  endpoint!: string;

  @Field(() => Boolean)
  stream!: boolean;

  @Field(() => Int, { description: 'HTTP status the caller got.' })
  status!: number;

  @Field(() => String, { nullable: true, description: 'Error class for failed calls, e.g. rate_limited.' })
  errorClass!: string | null;

  @Field(() => SafeInt)
  inputTokens!: number;

  @Field(() => SafeInt)
  outputTokens!: number;

  @Field(() => SafeInt)
  cachedInputTokens!: number;

  @Field(() => SafeInt)
  reasoningTokens!: number;

  @Field(() => Float, { nullable: true, description: 'US dollars; null when the price was unknown.' })
  costUsd!: number | null;

  @Field(() => Int, { description: 'Milliseconds from receiving the call to its last byte.' })
  latencyMs!: number;

  @Field(() => Int, { nullable: true, description: 'Milliseconds to the first byte of the answer.' })
  ttfbMs!: number | null;

  @Field(() => [ToolCount], { description: 'Tool calls the answer made, by tool, most-called first.' })
  tools!: ToolCount[];
}

@ObjectType('SessionRequestEdge')
export class SessionRequestEdge {
  @Field(() => SessionRequest)
  node!: SessionRequest;

  @Field(() => String)
  cursor!: string;
}

@ObjectType('SessionRequestConnection', { description: 'A session\'s requests, oldest first.' })
export class SessionRequestConnection {
  @Field(() => [SessionRequestEdge])
  edges!: SessionRequestEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
