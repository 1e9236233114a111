import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { KeyState, ProviderKind } from '../../core/generated/prisma/enums';

registerEnumType(ProviderKind, {
  name: 'ProviderKind',
  description: 'Wire family of an upstream. OPENROUTER and OPENAI_COMPATIBLE speak the OpenAI shapes at another base URL.',
});
registerEnumType(KeyState, {
  name: 'KeyState',
  description: 'ACTIVE: injected into requests. RETIRED: replaced by a newer key. REVOKED: withdrawn by an admin.',
});

@ObjectType('ProviderKey', { description: 'A stored provider key. Write-only: only its fingerprint and last four characters are ever shown.' })
export class ProviderKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'HMAC of the key under the master key: compare keys without seeing them.' })
  fingerprint!: string;

  @Field(() => String, { description: 'Last four characters ("****" for keys of 8 characters or fewer).' })
  last4!: string;

  @Field(() => KeyState)
  state!: KeyState;

  @Field(() => String, { description: '"api" (setProviderKey) or "env" (imported from the environment at start).' })
  source!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  retiredAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;
}

@ObjectType('Provider', { description: 'An upstream: a wire family at a base URL, with its keys.' })
export class Provider {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Unique name; the built-ins are openai, anthropic, gemini and openrouter.' })
  name!: string;

  @Field(() => ProviderKind)
  kind!: ProviderKind;

  @Field(() => String)
  baseUrl!: string;

  @Field(() => Boolean)
  enabled!: boolean;

  // keys: resolved by ProviderResolver through the per-request DataLoader.
}
