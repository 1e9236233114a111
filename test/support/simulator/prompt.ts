// What a request asks for, read the same way for every provider: the last user text, whether it carries a
// tool result, the tools offered and a JSON schema for structured output. Mirrors captures/tools/mock-server.mjs.

export type JsonObject = Record<string, unknown>;

export function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
export function objectAt(o: unknown, key: string): JsonObject | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return isObject(v) ? v : undefined;
}
export function arrayAt(o: unknown, key: string): unknown[] {
  if (!isObject(o)) return [];
  const v = o[key];
  return Array.isArray(v) ? v : [];
}
export function stringAt(o: unknown, key: string): string | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export interface OfferedTool {
  name: string;
  schema: unknown;
  /** OpenAI Responses free-form (`custom`) tool: its input is a string, not JSON arguments. */
  custom: boolean;
}

export interface Prompt {
  /** Text of the last user turn. */
  text: string;
  /** The last turn carries a tool result (so the model answers in text). */
  hasToolResult: boolean;
  tools: OfferedTool[];
  /** JSON schema the answer must follow (structured output), if any. */
  jsonSchema: unknown;
}

/** Chosen tool call, with arguments built from its schema. */
export interface PlannedToolCall {
  name: string;
  /** JSON arguments text, or the free-form input of a custom tool. */
  input: string;
  args: JsonObject;
  custom: boolean;
}

const PREFERRED_TOOLS = ['get_weather', 'Read', 'read_file', 'exec_command'];
const TOOL_TRIGGER = /weather|TOOLTEST/i;

export function chooseToolCall(prompt: Prompt): PlannedToolCall | null {
  if (prompt.hasToolResult || prompt.tools.length === 0 || !TOOL_TRIGGER.test(prompt.text)) return null;
  const tool = PREFERRED_TOOLS.map((n) => prompt.tools.find((t) => t.name === n)).find((t) => t !== undefined)
    ?? prompt.tools[0];
  if (tool.custom) return { name: tool.name, input: 'echo hi', args: {}, custom: true };
  const args = argsFromSchema(tool.schema);
  return { name: tool.name, input: JSON.stringify(args), args, custom: false };
}

/** Plausible arguments for a tool: every required property (or the first one) gets a value by name/type. */
function argsFromSchema(schema: unknown): JsonObject {
  const props = objectAt(schema, 'properties') ?? {};
  const required = arrayAt(schema, 'required').filter((k): k is string => typeof k === 'string');
  const keys = required.length > 0 ? required : Object.keys(props).slice(0, 1);
  const args: JsonObject = {};
  for (const key of keys) {
    const type = (stringAt(props[key], 'type') ?? 'string').toLowerCase();
    if (/command|cmd/i.test(key)) args[key] = type === 'array' ? ['echo', 'hi'] : 'echo hi';
    else if (/path|file|dir/i.test(key)) args[key] = 'hello.txt';
    else if (/pattern/i.test(key)) args[key] = '*.txt';
    else if (/location|city/i.test(key)) args[key] = 'Paris';
    else if (type === 'number' || type === 'integer') args[key] = 1;
    else if (type === 'boolean') args[key] = false;
    else if (type === 'array') args[key] = [];
    else args[key] = 'x';
  }
  return args;
}

/** A value that satisfies a (Gemini-style or JSON) schema, for structured-output answers. */
export function valueFromSchema(schema: unknown): unknown {
  const enumValues = arrayAt(schema, 'enum');
  if (enumValues.length > 0) return enumValues[0];
  const type = (stringAt(schema, 'type') ?? 'object').toLowerCase();
  if (type === 'object') {
    const props = objectAt(schema, 'properties') ?? {};
    const required = arrayAt(schema, 'required').filter((k): k is string => typeof k === 'string');
    const out: JsonObject = {};
    for (const key of required.length > 0 ? required : Object.keys(props)) out[key] = valueFromSchema(props[key]);
    return out;
  }
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 10;
  if (type === 'boolean') return false;
  return 'hi';
}

/** Text of content given as a string or as typed parts (`text`, `input_text`, `output_text`). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => stringAt(part, 'text') ?? '').join('');
}

/** Split `s` into at most `n` non-empty pieces of near-equal length (at least one piece, possibly ''). */
export function splitPieces(s: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, s.length));
  const size = Math.ceil(s.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < s.length; i += size) pieces.push(s.slice(i, i + size));
  return pieces.length > 0 ? pieces : [''];
}
