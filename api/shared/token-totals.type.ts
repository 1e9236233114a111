import { Field, Float, ObjectType } from 'type-graphql';
import { SafeInt } from '../scalars';

/**
 * Token and cost sums, with the metering's one meaning for every provider (see README, Metering).
 * Unreferenced, it never appears in the schema; the object types that extend it inherit its fields.
 */
@ObjectType()
export abstract class TokenTotals {
  @Field(() => SafeInt)
  inputTokens!: number;

  @Field(() => SafeInt)
  outputTokens!: number;

  @Field(() => SafeInt)
  cachedInputTokens!: number;

  @Field(() => SafeInt)
  cacheWriteTokens!: number;

  @Field(() => SafeInt)
  reasoningTokens!: number;

  @Field(() => Float, { description: 'US dollars.' })
  costUsd!: number;
}
