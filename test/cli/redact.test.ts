import { redactSecrets } from '../../cli/connect/redact';

describe('redactSecrets', () => {
  it.each([
    ['GEMINI_API_KEY=AIzaSyREAL', 'GEMINI_API_KEY=<redacted>'],
    ['export OPENAI_API_KEY=sk-123 # mine', 'export OPENAI_API_KEY=<redacted> # mine'],
    ['  "apiKey": "sk-ant-1",', '  "apiKey": "<redacted>",'],
    ['experimental_bearer_token = "abc def"', 'experimental_bearer_token = "<redacted>"'],
    ["client_secret = 'x'", "client_secret = '<redacted>'"],
    ['env = { DOCS_TOKEN = "x" }', 'env = { DOCS_TOKEN = "<redacted>" }'],
  ])('hides the value in %j', (line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
  });

  it.each([
    'GEMINI_API_KEY=tailgate',
    '"apiKey": "tailgate"',
    '"apiKeyHelper": "echo tailgate"',
    '"apiKeyHelper": "~/bin/get-key.sh"',
    'env_key = "OPENROUTER_API_KEY"',
    'GOOGLE_GEMINI_BASE_URL=https://ai.tail1234.ts.net',
    'max_tokens = 4096',
  ])('leaves %j alone', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});
