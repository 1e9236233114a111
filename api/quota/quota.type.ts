import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { QuotaWindow } from '../../core/generated/prisma/enums';
import { SafeInt } from '../scalars';

registerEnumType(QuotaWindow, {
  name: 'QuotaWindow',
  description: 'UTC calendar windows: a WEEK starts Monday 00:00 UTC, a MONTH on the 1st 00:00 UTC.',
});

@ObjectType('Quota', { description: 'A budget per window for the principals a subject matches. At least one limit is set.' })
export class Quota {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: '`*` (everyone), `user:*` (every person), `user:<login>` or `tag:<name>`.' })
  subject!: string;

  @Field(() => Boolean, { description: 'true: one budget shared by everyone the subject matches; false: a budget each.' })
  shared!: boolean;

  @Field(() => QuotaWindow)
  window!: QuotaWindow;

  @Field(() => Int, { nullable: true })
  maxRequests!: number | null;

  @Field(() => SafeInt, { nullable: true })
  maxTokens!: number | null;

  @Field(() => Float, { nullable: true, description: 'US dollars (stored as integer micro-dollars).' })
  maxCostUsd!: number | null;

  @Field(() => [String], { nullable: true, description: 'Model globs (`*` only) the quota counts; null: every model.' })
  models!: string[] | null;
}

@ObjectType('QuotaStatus', { description: 'Where a principal stands against one quota in the current window.' })
export class QuotaStatus {
  @Field(() => Quota)
  quota!: Quota;

  @Field(() => Date)
  windowStart!: Date;

  @Field(() => Date, { description: 'When the window ends and the budget starts over.' })
  windowEnd!: Date;

  @Field(() => String, { description: 'Whose budget this is: the principal id, or "*" for a shared quota.' })
  holder!: string;

  @Field(() => Int, { description: 'Settled requests plus those admitted and still in flight.' })
  usedRequests!: number;

  @Field(() => SafeInt, { description: 'Settled tokens plus budget leased to in-flight requests.' })
  usedTokens!: number;

  @Field(() => Float, { description: 'Settled cost plus budget leased to in-flight requests, US dollars.' })
  usedCostUsd!: number;

  @Field(() => Int, { nullable: true, description: 'null where the quota sets no request limit.' })
  remainingRequests!: number | null;

  @Field(() => SafeInt, { nullable: true, description: 'null where the quota sets no token limit.' })
  remainingTokens!: number | null;

  @Field(() => Float, { nullable: true, description: 'null where the quota sets no cost limit.' })
  remainingCostUsd!: number | null;
}
