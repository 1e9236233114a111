import { ArgsType, Field, InputType } from 'type-graphql';
import { z } from 'zod';
import { ProviderKind } from '../../core/generated/prisma/enums';
import { BUILTIN_PROVIDERS, isBuiltinProvider } from '../../core/provider-keys';

@InputType('ProviderInput')
export class ProviderInput {
  @Field(() => String, { description: 'Creates the provider when no provider has this name, else updates it.' })
  name!: string;

  @Field(() => ProviderKind)
  kind!: ProviderKind;

  @Field(() => String, { description: 'http(s) URL of the upstream API, e.g. https://api.openai.com/v1 (no credentials in it).' })
  baseUrl!: string;

  @Field(() => Boolean, { nullable: true, description: 'Defaults to true for a new provider; unchanged when omitted on update.' })
  enabled?: boolean | null;
}

@ArgsType()
export class SetProviderKeyArgs {
  @Field(() => String, { description: 'Provider name.' })
  provider!: string;

  @Field(() => String, { description: 'The plaintext key. Encrypted before it is stored; never returned, logged or audited.' })
  key!: string;
}

export const providerName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a provider name is 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

const baseUrl = z.string().trim().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an absolute http(s) URL, e.g. https://api.openai.com/v1' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'base URL must use http or https' });
  // Credentials in a URL would be shown to every admin and logged with it: keys go in setProviderKey.
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'base URL must not contain credentials; store the key with setProviderKey' });
  if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'base URL must not have a query or fragment' });
}).transform((value) => value.replace(/\/+$/, ''));

export const providerInputSchema = z.object({
  name: providerName,
  kind: z.enum(ProviderKind),
  baseUrl,
  enabled: z.boolean().nullish(),
}).superRefine((input, ctx) => {
  if (isBuiltinProvider(input.name) && BUILTIN_PROVIDERS[input.name] !== input.kind) {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `the built-in provider "${input.name}" has kind ${BUILTIN_PROVIDERS[input.name]}` });
  }
});
