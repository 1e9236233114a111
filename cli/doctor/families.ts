/**
 * The three API formats the gateway speaks, as doctor probes them: one request each, as small as the format
 * allows (one output token), sent the way that family's clients send it, with the placeholder key.
 */
import { PLACEHOLDER_KEY } from '../connect/client';
import type { HttpRequest } from './http';

export type ApiFamily = 'openai' | 'anthropic' | 'gemini';
export const API_FAMILIES: readonly ApiFamily[] = ['openai', 'anthropic', 'gemini'];

interface FamilyProbe {
  /** e.g. `Anthropic messages`. */
  label: string;
  /** Provider the gateway sends this family's models to by default, for messages. */
  provider: string;
  /** Models of this family that can answer a one-token chat turn. */
  serves(model: string): boolean;
  /** Tried when the caller's model list has none of this family, so the gateway can say why (no key, policy). */
  fallbackModel: string;
  request(model: string): HttpRequest;
}

const PROMPT = 'Reply with one word.';
const NOT_CHAT = /embed|moderation|tts|whisper|transcri|dall-e|image|audio|realtime|search|computer-use|live|veo|imagen/i;

export const FAMILY_PROBES: Record<ApiFamily, FamilyProbe> = {
  openai: {
    label: 'OpenAI chat',
    provider: 'openai',
    serves: (model) => /^(gpt-|o\d|chatgpt-)/.test(model) && !NOT_CHAT.test(model),
    fallbackModel: 'gpt-5-mini',
    request: (model) => ({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${PLACEHOLDER_KEY}` },
      body: { model, messages: [{ role: 'user', content: PROMPT }], max_completion_tokens: 1 },
    }),
  },
  anthropic: {
    label: 'Anthropic messages',
    provider: 'anthropic',
    serves: (model) => model.startsWith('claude-'),
    fallbackModel: 'claude-haiku-4-5',
    request: (model) => ({
      method: 'POST',
      path: '/v1/messages',
      headers: { 'x-api-key': PLACEHOLDER_KEY, 'anthropic-version': '2023-06-01' },
      body: { model, max_tokens: 1, messages: [{ role: 'user', content: PROMPT }] },
    }),
  },
  gemini: {
    label: 'Gemini generateContent',
    provider: 'gemini',
    serves: (model) => /^gemini-/.test(model) && !NOT_CHAT.test(model),
    fallbackModel: 'gemini-2.5-flash-lite',
    request: (model) => ({
      method: 'POST',
      path: `/v1beta/models/${encodeURIComponent(model)}:generateContent`,
      headers: { 'x-goog-api-key': PLACEHOLDER_KEY },
      body: { contents: [{ role: 'user', parts: [{ text: PROMPT }] }], generationConfig: { maxOutputTokens: 1 } },
    }),
  },
};

/** Lower is better: the smallest tier first. By name part, since "gemini" itself contains "mini". */
function sizeRank(model: string): number {
  const parts = model.toLowerCase().split(/[-._:/@]/);
  if (model.toLowerCase().includes('flash-lite') || parts.some((p) => p === 'nano' || p === 'haiku')) return 0;
  if (parts.some((p) => p === 'mini' || p === 'flash')) return 1;
  return 2;
}

/**
 * Reasoning models can spend a one-token budget on thinking and answer with an error instead of a truncated
 * reply, so a plain chat model is preferred when there is one of the same size.
 */
function reasoningRank(model: string): number {
  return /^(o\d|gpt-5)/.test(model) ? 1 : 0;
}

/** The model doctor probes a family with: the cheapest of the caller's models that family serves, or undefined. */
export function pickProbeModel(family: ApiFamily, models: readonly string[]): string | undefined {
  const candidates = models.filter(FAMILY_PROBES[family].serves);
  candidates.sort((a, b) => sizeRank(a) - sizeRank(b) || reasoningRank(a) - reasoningRank(b) || a.length - b.length || a.localeCompare(b));
  return candidates[0];
}

/**
 * OpenAI answers a chat request whose token limit leaves no room for a visible reply (reasoning models) with
 * a 400 "Could not finish the message because max_tokens or model output limit was reached". The request
 * still went through the gateway with its key, which is all the probe checks.
 */
export function isOutputLimitRefusal(status: number, message: string): boolean {
  return status === 400 && /max_tokens|max_completion_tokens|output limit/i.test(message);
}
