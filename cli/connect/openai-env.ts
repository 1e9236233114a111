import { PLACEHOLDER_KEY, type ClientConnector } from './client';

const VARIABLES = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'];

/** Single-quotes a value for POSIX shells unless it is made only of characters that never need it. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * For apps built on the OpenAI or Anthropic SDKs, which read these variables. Writes no file: the lines go
 * to stdout so `eval "$(tailgate connect openai-env --url …)"` works; the explanation is a shell comment.
 */
export const openaiEnv: ClientConnector = {
  id: 'openai-env',
  summary: 'prints export lines for OpenAI/Anthropic SDK apps (writes no file)',
  plan({ gateway }) {
    const values: Record<string, string> = {
      OPENAI_BASE_URL: `${gateway.root}/v1`,
      OPENAI_API_KEY: PLACEHOLDER_KEY,
      ANTHROPIC_BASE_URL: gateway.root,
      ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
    };
    return {
      files: [],
      output: [
        '# Tailgate gateway for OpenAI/Anthropic SDK apps. The keys are placeholders: the gateway knows you by',
        '# your Tailscale identity. Apply with: eval "$(tailgate connect openai-env --url <gateway URL>)"',
        ...VARIABLES.map((name) => `export ${name}=${shellQuote(values[name])}`),
      ],
      notes: [],
    };
  },
  undoOutput: ['# openai-env writes no files; to drop the variables from this shell:', `unset ${VARIABLES.join(' ')}`],
};
