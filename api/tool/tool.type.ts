import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('ToolCount', { description: 'How often a tool was called.' })
export class ToolCount {
  @Field(() => String)
  tool!: string;

  @Field(() => Int)
  calls!: number;
}

@ObjectType('ToolUsageRow', { description: 'A tool\'s calls in a time range, and by how many principals and sessions.' })
export class ToolUsageRow {
  @Field(() => String)
  tool!: string;

  @Field(() => Int)
  calls!: number;

  @Field(() => Int)
  principals!: number;

  @Field(() => Int, { description: 'Distinct sessions; calls made outside any session are not counted here.' })
  sessions!: number;
}
