import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class ToolUsageArgs {
  @Field(() => Date, { nullable: true, description: 'Default: 00:00 UTC 29 days before `to`.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Default: now.' })
  to?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only this principal\'s calls. Non-admins: omitted or their own.' })
  principal?: string | null;
}
