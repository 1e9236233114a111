// What a provider handler gets for one request, and the answer plan every provider renders in its own shape.
import { chooseToolCall, valueFromSchema, type JsonObject, type PlannedToolCall, type Prompt } from './prompt';
import type { SimRequest, SimResponse, SimUsage } from './types';
import { planUsage, type UsageFields } from './usage';

export interface HandlerContext {
  req: SimRequest;
  /** The request's JSON body ({} for GET). */
  body: JsonObject;
  /** Model named by the request (body or Gemini path); '' when none. */
  model: string;
  streamChunks: number;
  replyText: string;
  /** Answer HTTP 200 and then the provider's in-stream error event. */
  streamError: boolean;
  usageOverride: Partial<SimUsage> | undefined;
  /** The record of this answer in `sent`; handlers fill text and plannedUsage. */
  record: SimResponse;
  models: readonly string[];
  embeddingDimensions: number;
}

export interface AnswerPlan {
  text: string;
  tool: PlannedToolCall | null;
  usage: SimUsage;
}

export function planAnswer(ctx: HandlerContext, prompt: Prompt, fields: UsageFields): AnswerPlan {
  const tool = chooseToolCall(prompt);
  let text = '';
  if (!tool) {
    if (prompt.jsonSchema !== undefined) text = JSON.stringify(valueFromSchema(prompt.jsonSchema));
    else text = prompt.hasToolResult ? 'Done, I used the tool.' : ctx.replyText;
  }
  const answerChars = tool ? tool.name.length + tool.input.length : text.length;
  const usage = planUsage(ctx.req.rawBody.length, answerChars, fields, ctx.usageOverride);
  ctx.record.text = text;
  ctx.record.plannedUsage = usage;
  return { text, tool, usage };
}

let idCounter = 0;
/** Provider-looking ids (`msg_…`, `chatcmpl-…`): prefix plus unique hex. */
export function newId(prefix: string): string {
  idCounter += 1;
  return `${prefix}sim${Date.now().toString(16)}${idCounter.toString(16).padStart(6, '0')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
