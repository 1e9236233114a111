import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class AdoptionArgs {
  @Field(() => Date, { nullable: true, description: 'Default: 00:00 UTC 29 days before `to`.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Default: now.' })
  to?: Date | null;
}
