// Connect: copy-paste setup for each coding agent and SDK, filled in with this gateway's own URL
// (the origin this page was loaded from). No real key anywhere: the gateway knows the caller from
// Tailscale and injects the provider key; clients that insist on a key get the placeholder.

import { codeBlock } from '../copy.js';
import { h, uid } from '../dom.js';
import { pageHeader } from './common.js';

export const PLACEHOLDER_KEY = 'tailgate';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Gemini CLI only takes an https:// base URL, unless the host is local (docs/cli.md). */
export const geminiAcceptsUrl = (url) => url.protocol === 'https:' || LOCAL_HOSTS.has(url.hostname);

export function snippets(origin) {
  return {
    claudeSettings: `{
  "env": {
    "ANTHROPIC_BASE_URL": "${origin}"
  },
  "apiKeyHelper": "echo ${PLACEHOLDER_KEY}"
}
`,
    claudeCli: `tailgate connect claude-code --url ${origin}`,
    codexToml: `# At the top of the file, before any [table]:
model_provider = "tailgate"

[model_providers.tailgate]
name = "Tailgate"
base_url = "${origin}/v1"
wire_api = "responses"
experimental_bearer_token = "${PLACEHOLDER_KEY}"
`,
    codexCli: `tailgate connect codex --url ${origin}`,
    geminiEnv: `GOOGLE_GEMINI_BASE_URL=${origin}
GEMINI_API_KEY=${PLACEHOLDER_KEY}
`,
    geminiSettings: `{
  "security": {
    "auth": {
      "selectedType": "gemini-api-key"
    }
  }
}
`,
    geminiCli: `tailgate connect gemini-cli --url ${origin}`,
    openaiEnv: `export OPENAI_BASE_URL=${origin}/v1
export OPENAI_API_KEY=${PLACEHOLDER_KEY}
export ANTHROPIC_BASE_URL=${origin}
export ANTHROPIC_API_KEY=${PLACEHOLDER_KEY}
`,
    openaiPython: `from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key="${PLACEHOLDER_KEY}")
reply = client.responses.create(model="gpt-5-mini", input="Say hello")
print(reply.output_text)
`,
    openaiNode: `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${origin}/v1", apiKey: "${PLACEHOLDER_KEY}" });
const reply = await client.responses.create({ model: "gpt-5-mini", input: "Say hello" });
console.log(reply.output_text);
`,
    anthropicPython: `import anthropic

client = anthropic.Anthropic(base_url="${origin}", api_key="${PLACEHOLDER_KEY}")
message = client.messages.create(
    model="claude-sonnet-4-5", max_tokens=200,
    messages=[{"role": "user", "content": "Say hello"}],
)
print(message.content[0].text)
`,
    anthropicNode: `import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ baseURL: "${origin}", apiKey: "${PLACEHOLDER_KEY}" });
const message = await client.messages.create({
  model: "claude-sonnet-4-5", max_tokens: 200,
  messages: [{ role: "user", content: "Say hello" }],
});
console.log(message.content[0].text);
`,
    curlWhoami: `curl ${origin}/v1/tailgate/whoami`,
    curlOpenai: `curl ${origin}/v1/chat/completions \\
  -H 'content-type: application/json' \\
  -d '{"model": "gpt-5-mini", "messages": [{"role": "user", "content": "Say hello"}]}'`,
    curlAnthropic: `curl ${origin}/v1/messages \\
  -H 'content-type: application/json' \\
  -H 'anthropic-version: 2023-06-01' \\
  -d '{"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": [{"role": "user", "content": "Say hello"}]}'`,
  };
}

function client(id, title, ...children) {
  const headingId = uid('connect');
  return h('section', { class: 'panel connect', id, 'aria-labelledby': headingId }, h('h2', { id: headingId }, title), children);
}

export async function render({ main }) {
  const url = new URL(location.origin);
  const origin = url.origin;
  const x = snippets(origin);
  const clients = [['claude-code', 'Claude Code'], ['codex', 'Codex'], ['gemini-cli', 'Gemini CLI'], ['openai-sdk', 'OpenAI SDK'], ['anthropic-sdk', 'Anthropic SDK'], ['curl', 'curl']];
  main.append(
    pageHeader('Connect', null),
    h('p', { class: 'lead' }, 'Point your coding agent or app at this gateway: ', h('code', { class: 'gateway-url' }, origin), '. ',
      'You need no API key. The gateway knows you from your Tailscale identity and adds the provider key itself; where a client insists on a key, give it the placeholder ', h('code', {}, PLACEHOLDER_KEY), '.'),
    h('div', { class: 'panel callout' },
      h('h2', {}, 'The quickest way: tailgate connect'),
      h('p', {}, 'The ', h('code', {}, 'tailgate'), ' command line edits each client\'s own config file for you, backs up what it changes, and puts it back with ', h('code', {}, '--undo'), '. ',
        'Use ', h('code', {}, '--dry-run'), ' to see the diff first. It is documented in docs/cli.md in the Tailgate repository.'),
      codeBlock({ title: 'Terminal', label: 'the tailgate connect commands', code: `tailgate connect claude-code --url ${origin}\ntailgate connect codex --url ${origin}\ntailgate connect gemini-cli --url ${origin}\neval "$(tailgate connect openai-env --url ${origin})"` })),
    h('nav', { class: 'toc', 'aria-label': 'Clients on this page' }, h('ul', {}, clients.map(([id, name]) => h('li', {}, h('a', { href: `#${id}` }, name))))),
    client('claude-code', 'Claude Code',
      h('p', {}, 'Add this to ', h('code', {}, '~/.claude/settings.json'), ' (merge it with what is there). Claude Code runs the ', h('code', {}, 'apiKeyHelper'), ' command and uses its output, the placeholder, as its key.'),
      codeBlock({ title: '~/.claude/settings.json', label: 'the Claude Code settings', code: x.claudeSettings }),
      h('p', {}, 'If your shell exports ', h('code', {}, 'ANTHROPIC_API_KEY'), ' or ', h('code', {}, 'ANTHROPIC_AUTH_TOKEN'), ', unset them, then start a new session. Or let the CLI do it:'),
      codeBlock({ title: 'Terminal', label: 'the Claude Code connect command', code: x.claudeCli })),
    client('codex', 'Codex',
      h('p', {}, 'Codex ignores ', h('code', {}, 'OPENAI_BASE_URL'), ' for its built-in provider, so give it a provider of its own in ', h('code', {}, '~/.codex/config.toml'), ' (or ', h('code', {}, '$CODEX_HOME/config.toml'), '). ',
        h('code', {}, 'wire_api = "responses"'), ' is required; ', h('code', {}, 'experimental_bearer_token'), ' sends the placeholder without an environment variable.'),
      codeBlock({ title: '~/.codex/config.toml', label: 'the Codex configuration', code: x.codexToml }),
      codeBlock({ title: 'Terminal', label: 'the Codex connect command', code: x.codexCli })),
    client('gemini-cli', 'Gemini CLI',
      geminiAcceptsUrl(url) ? null : h('p', { class: 'alert warn', role: 'note' }, h('strong', {}, 'This URL will not work with Gemini CLI. '),
        `Gemini CLI only accepts an https:// base URL unless the host is localhost. Serve the gateway over HTTPS (for example tailscale serve --https=443) and open this page at its https://<machine>.<tailnet>.ts.net address to get a working snippet.`),
      h('p', {}, 'Put the base URL and the placeholder key in ', h('code', {}, '~/.gemini/.env'), ', and select API-key authentication in ', h('code', {}, '~/.gemini/settings.json'), '. Variables already exported in your shell win over the file.'),
      codeBlock({ title: '~/.gemini/.env', label: 'the Gemini CLI environment file', code: x.geminiEnv }),
      codeBlock({ title: '~/.gemini/settings.json', label: 'the Gemini CLI settings', code: x.geminiSettings }),
      codeBlock({ title: 'Terminal', label: 'the Gemini CLI connect command', code: x.geminiCli })),
    client('openai-sdk', 'OpenAI SDK',
      h('p', {}, 'The OpenAI SDKs take the base URL with ', h('code', {}, '/v1'), '. They also read ', h('code', {}, 'OPENAI_BASE_URL'), ' and ', h('code', {}, 'OPENAI_API_KEY'), ' from the environment.'),
      codeBlock({ title: 'Python', label: 'the OpenAI Python example', code: x.openaiPython }),
      codeBlock({ title: 'JavaScript / TypeScript', label: 'the OpenAI JavaScript example', code: x.openaiNode }),
      codeBlock({ title: 'Shell environment (OpenAI and Anthropic SDKs)', label: 'the SDK environment variables', code: x.openaiEnv })),
    client('anthropic-sdk', 'Anthropic SDK',
      h('p', {}, 'The Anthropic SDKs take the gateway\'s root URL, without ', h('code', {}, '/v1'), ', or ', h('code', {}, 'ANTHROPIC_BASE_URL'), ' from the environment.'),
      codeBlock({ title: 'Python', label: 'the Anthropic Python example', code: x.anthropicPython }),
      codeBlock({ title: 'JavaScript / TypeScript', label: 'the Anthropic JavaScript example', code: x.anthropicNode })),
    client('curl', 'curl',
      h('p', {}, 'No key and no Authorization header: just the request. Check who the gateway thinks you are, and which models you may use, first.'),
      codeBlock({ title: 'Who am I?', label: 'the whoami request', code: x.curlWhoami }),
      codeBlock({ title: 'OpenAI Chat Completions', label: 'the OpenAI curl example', code: x.curlOpenai }),
      codeBlock({ title: 'Anthropic Messages', label: 'the Anthropic curl example', code: x.curlAnthropic })),
  );
}
