import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

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

/** Whether a principal came back after trying the gateway: a platform team's "whom to help" list. */
export enum Retention {
  RETURNED = 'RETURNED',
  RETURNED_LATE = 'RETURNED_LATE',
  CHURNED = 'CHURNED',
  PENDING = 'PENDING',
}

registerEnumType(Retention, {
  name: 'Retention',
  description: 'Whether a principal came back after their first week (their first UTC day and the 6 after it), judged by the 14 days after it.',
  valuesConfig: {
    RETURNED: { description: 'Used the gateway again in the 14 days after their first week.' },
    RETURNED_LATE: { description: 'No use in the 14 days after their first week, but came back later.' },
    CHURNED: { description: 'Tried it and did not come back: no use in the 14 days after their first week, nor since.' },
    PENDING: { description: 'No use since their first week yet, and the 14 days after it are not over.' },
  },
});

@ObjectType('PrincipalAdoption', { description: 'One principal active in a range: when they started, how much they used it, and whether they came back.' })
export class PrincipalAdoption {
  @Field(() => String, { description: 'Principal id.' })
  principal!: string;

  @Field(() => String, { description: 'UTC date of their first request ever (YYYY-MM-DD), up to the range\'s end.' })
  firstDay!: string;

  @Field(() => String, { description: 'UTC date of their last request (YYYY-MM-DD), up to the range\'s end.' })
  lastDay!: string;

  @Field(() => Int, { description: 'Days with at least one request in the range.' })
  activeDays!: number;

  @Field(() => Int, { description: 'Requests in the range.' })
  requests!: number;

  @Field(() => Float, { description: 'US dollars, in the range.' })
  costUsd!: number;

  @Field(() => [String], { description: 'Clients used in the range, by name.' })
  clients!: string[];

  @Field(() => Retention, { description: 'Judged as of the range\'s end.' })
  retention!: Retention;
}
