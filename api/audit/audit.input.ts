import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class AuditLogArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, default 50, at most 500.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Id of the last event of the previous page.' })
  after?: string | null;
}
