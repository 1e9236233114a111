import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('ModelRoute', { description: 'An exact model name sent to a chosen provider, optionally under another upstream name. Checked before the prefix rules.' })
export class ModelRoute {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The model name as clients send it.' })
  model!: string;

  // provider: resolved by ModelRouteResolver through the per-request DataLoader.

  @Field(() => String, { nullable: true, description: 'The model name sent upstream; null: the same as `model`.' })
  upstreamModel!: string | null;
}
