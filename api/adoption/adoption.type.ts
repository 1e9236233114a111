import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType('AdoptionPoint', { description: 'One UTC day of adoption. Days without traffic are present with zeros.' })
export class AdoptionPoint {
  @Field(() => String, { description: 'UTC date, YYYY-MM-DD.' })
  day!: string;

  @Field(() => Int, { description: 'Distinct principals with at least one request that day.' })
  activePrincipals!: number;

  @Field(() => Int)
  requests!: number;

  @Field(() => Float, { description: 'US dollars.' })
  costUsd!: number;
}
