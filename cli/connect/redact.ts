import { PLACEHOLDER_KEY } from './client';

/**
 * Hides values of keys that look like credentials before a dry-run diff is printed: a diff of ~/.gemini/.env
 * or settings.json could otherwise put the user's real key on screen or in a CI log.
 */
export function redactSecrets(text: string): string {
  // A key whose name ends in api_key/apiKey/token/secret/password (so not `apiKeyHelper`, a command), then
  // `=` or `:`, then a double-quoted, single-quoted or bare value.
  const assignment =
    /((?:^|[\s"'{,])[\w.-]*(?:api[_-]?key|token|secret|password)["']?[ \t]*[=:][ \t]*)(?:"([^"\n]*)"|'([^'\n]*)'|([^\s,#}]+))/gim;
  return text.replace(assignment, (whole, lead: string, double?: string, single?: string, bare?: string) => {
    const value = double ?? single ?? bare ?? '';
    if (value === '' || value === PLACEHOLDER_KEY) return whole;
    const quote = double !== undefined ? '"' : single !== undefined ? "'" : '';
    return `${lead}${quote}<redacted>${quote}`;
  });
}
