import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('AuditEvent', { description: 'One admin change (or a system key import), written in the same transaction as the change.' })
export class AuditEvent {
  @Field(() => ID, { description: 'Increasing sequence number; pass the last one seen as auditLog(after:) for the next page.' })
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, { description: 'Principal id of the admin, or "system".' })
  actor!: string;

  @Field(() => String, { description: 'The mutation\'s name, e.g. setProviderKey.' })
  action!: string;

  @Field(() => String, { nullable: true, description: 'What changed, e.g. provider:openai, provider-key:<id>, model-route:<model>, quota:<id>.' })
  target!: string | null;

  @Field(() => String, { nullable: true, description: 'JSON with the change\'s details. Never contains a key.' })
  detail!: string | null;
}
