import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class SessionsArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, default 50, at most 200.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'pageInfo.endCursor of the previous page.' })
  after?: string | null;

  @Field(() => String, { nullable: true, description: 'Principal id. Non-admins: omitted or their own.' })
  principal?: string | null;

  @Field(() => String, { nullable: true })
  client?: string | null;

  @Field(() => Date, { nullable: true, description: 'Sessions still active at or after this instant. Default: 00:00 UTC 29 days before `to`.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Sessions started before this instant. Default: now.' })
  to?: Date | null;
}

@ArgsType()
export class SessionRequestLogArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, default 100, at most 500.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'pageInfo.endCursor of the previous page.' })
  after?: string | null;
}
