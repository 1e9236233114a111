import { Field, Float, InputType, Int } from 'type-graphql';
import { z } from 'zod';
import { QuotaWindow } from '../../core/generated/prisma/enums';
import { SafeInt, usdToMicros } from '../scalars';

@InputType('QuotaInput', { description: 'setQuota updates the quota with the same subject, shared, window and models, or creates one.' })
export class QuotaInput {
  @Field(() => String, { description: '`*`, `user:*`, `user:<login>` or `tag:<name>`.' })
  subject!: string;

  @Field(() => Boolean, { nullable: true, description: 'Default false: a budget per principal.' })
  shared?: boolean | null;

  @Field(() => QuotaWindow)
  window!: QuotaWindow;

  @Field(() => Int, { nullable: true })
  maxRequests?: number | null;

  @Field(() => SafeInt, { nullable: true })
  maxTokens?: number | null;

  @Field(() => Float, { nullable: true, description: 'US dollars; stored rounded to the micro-dollar.' })
  maxCostUsd?: number | null;

  @Field(() => [String], { nullable: true, description: 'Model globs: letters, digits, ".", "-", "_", "/", ":" and "*" (any run). Omit for every model.' })
  models?: string[] | null;
}

export const quotaSubject = z.string().regex(
  /^(\*|user:\*|user:[^\s,*]+|tag:[A-Za-z0-9-]+)$/,
  'subject must be "*", "user:*", "user:<login>" or "tag:<name>"',
);

export const modelGlob = z.string().max(200, 'a model glob is at most 200 characters').regex(
  /^[A-Za-z0-9.\-_/:*]+$/,
  'a model glob may contain only letters, digits, ".", "-", "_", "/", ":" and "*"',
);

const positive = (what: string) => `${what} must be greater than zero (omit it for no limit)`;

export const quotaInputSchema = z.object({
  subject: quotaSubject,
  shared: z.boolean().nullish().transform((value) => value ?? false),
  window: z.enum(QuotaWindow),
  maxRequests: z.number().int().positive(positive('maxRequests')).nullish().transform((value) => value ?? null),
  maxTokens: z.number().int().positive(positive('maxTokens')).nullish().transform((value) => (value === null || value === undefined ? null : BigInt(value))),
  maxCostUsd: z.number().finite('maxCostUsd must be a finite number').nullish()
    .refine((value) => value === null || value === undefined || usdToMicros(value) >= 1n, 'maxCostUsd must be at least 0.000001 (one micro-dollar); omit it for no limit')
    .transform((value) => (value === null || value === undefined ? null : usdToMicros(value))),
  models: z.array(modelGlob).min(1, 'models must not be empty: omit it for every model').nullish()
    .transform((value) => (value ? [...new Set(value)].sort() : [])),
}).refine((q) => q.maxRequests !== null || q.maxTokens !== null || q.maxCostUsd !== null, {
  message: 'a quota needs at least one limit: maxRequests, maxTokens or maxCostUsd',
});

export type ValidQuotaInput = z.output<typeof quotaInputSchema>;
