import { ArgsType, Field, InputType } from 'type-graphql';
import { UsageDimension } from './usage.type';

@InputType('UsageFilter', { description: 'Exact matches; every given field must match.' })
export class UsageFilter {
  @Field(() => String, { nullable: true, description: 'Principal id. Non-admins: omitted or their own.' })
  principal?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { nullable: true })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  client?: string | null;
}

@ArgsType()
export class UsageArgs {
  @Field(() => Date, { nullable: true, description: 'Default: 00:00 UTC 29 days before `to`.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Default: now.' })
  to?: Date | null;

  @Field(() => [UsageDimension], { description: 'Empty: one total row.' })
  groupBy!: UsageDimension[];

  @Field(() => UsageFilter, { nullable: true })
  filter?: UsageFilter | null;
}
