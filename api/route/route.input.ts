import { Field, InputType } from 'type-graphql';
import { z } from 'zod';
import { providerName } from '../provider/provider.input';

@InputType('ModelRouteInput')
export class ModelRouteInput {
  @Field(() => String, { description: 'Creates the route when no route has this model, else updates it.' })
  model!: string;

  @Field(() => String, { description: 'Provider name, e.g. openai or a provider created with upsertProvider.' })
  provider!: string;

  @Field(() => String, { nullable: true })
  upstreamModel?: string | null;
}

export const modelName = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,199}$/,
  'a model name is 1-200 letters, digits, ".", "_", "-", "/", ":" or "@", starting with a letter or digit (routes are exact: no "*")',
);

export const modelRouteInputSchema = z.object({
  model: modelName,
  provider: providerName,
  upstreamModel: z.string().trim().transform((value) => value || null).pipe(modelName.nullable()).nullish(),
});
