import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TokenTotals } from '../shared/token-totals.type';

export enum UsageDimension {
  MODEL = 'MODEL',
  PRINCIPAL = 'PRINCIPAL',
  PROVIDER = 'PROVIDER',
  CLIENT = 'CLIENT',
  DAY = 'DAY',
}

registerEnumType(UsageDimension, { name: 'UsageDimension', description: 'What usage rows are grouped by. DAY is the UTC date, YYYY-MM-DD.' });

@ObjectType('UsageRow', { description: 'Usage summed over a group; the fields of dimensions not grouped by are null.' })
export class UsageRow extends TokenTotals {
  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => String, { nullable: true, description: 'Principal id, e.g. user:alice@example.com or tag:ci.' })
  principal!: string | null;

  @Field(() => String, { nullable: true })
  provider!: string | null;

  @Field(() => String, { nullable: true, description: 'Client family from the user agent: claude-code, codex, gemini-cli, sdk, ...' })
  client!: string | null;

  @Field(() => String, { nullable: true, description: 'UTC date, YYYY-MM-DD.' })
  day!: string | null;

  @Field(() => Int)
  requests!: number;

  @Field(() => Int)
  errors!: number;

}
