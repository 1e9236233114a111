import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { PrincipalKind } from '../../core/generated/prisma/enums';

registerEnumType(PrincipalKind, { name: 'PrincipalKind', description: 'USER: a person\'s device; TAGGED: a tagged device (bot, CI); DEV: the local dev identity.' });

@ObjectType('Principal', { description: 'A caller as Tailscale identifies it.' })
export class Principal {
  @Field(() => String, { description: '`user:<login>`, or the sorted tags `tag:a,tag:b` of a tagged device.' })
  id!: string;

  @Field(() => PrincipalKind)
  kind!: PrincipalKind;

  @Field(() => String, { nullable: true })
  login!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => Boolean)
  isAdmin!: boolean;
}
