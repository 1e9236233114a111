import * as path from 'node:path';
import { CliError } from '../io';
import { readRootValue, setRootKey, setTableKeys, TomlEditConflict } from '../toml-edit';
import { TomlSyntaxError, tomlString } from '../toml-scan';
import { PLACEHOLDER_KEY, type ClientConnector } from './client';
import { displayPath } from './paths';

const PROVIDER_ID = 'tailgate';

/**
 * Codex reads ~/.codex/config.toml (or $CODEX_HOME/config.toml). A custom provider speaking the Responses
 * API, selected by the root `model_provider` key, sends every request to `<gateway>/v1/responses`.
 *
 * Auth: with `env_key` Codex refuses to start unless that variable is set, which would make every user
 * export a dummy. `experimental_bearer_token` (a ModelProviderInfo field since Codex 0.2x, still accepted
 * in 0.169) sends a fixed `Authorization: Bearer` instead, works from the IDE extension and desktop app
 * too, and the gateway ignores its value. A leftover `env_key` in our table is removed for that reason.
 */
export const codex: ClientConnector = {
  id: 'codex',
  summary: `~/.codex/config.toml: a '${PROVIDER_ID}' model provider (Responses API at <url>/v1), selected as default`,
  plan({ gateway, paths, readFile }) {
    const file = path.join(paths.codexHome, 'config.toml');
    const label = displayPath(file, paths);
    const before = readFile(file) ?? '';
    let content: string;
    let profile: string | undefined;
    try {
      content = setRootKey(before, 'model_provider', tomlString(PROVIDER_ID), [
        'Added by `tailgate connect codex`; `tailgate connect codex --undo` restores this file.',
      ]);
      content = setTableKeys(content, ['model_providers', PROVIDER_ID], {
        set: [
          ['name', tomlString('Tailgate')],
          ['base_url', tomlString(`${gateway.root}/v1`)],
          ['wire_api', tomlString('responses')],
          ['experimental_bearer_token', tomlString(PLACEHOLDER_KEY)],
        ],
        remove: ['env_key'],
        comment: ['Tailgate gateway on your tailnet: it knows you by your Tailscale identity and ignores the token.'],
      });
      profile = readRootValue(content, 'profile');
    } catch (err) {
      if (err instanceof TomlSyntaxError || err instanceof TomlEditConflict) {
        throw new CliError(`${label}: ${err.message}; tailgate left the file unchanged`);
      }
      throw err;
    }
    const notes = ['Start a new Codex session to use the gateway.'];
    if (profile !== undefined) {
      notes.push(`config.toml selects profile ${profile} by default; a model_provider set in that profile overrides '${PROVIDER_ID}'.`);
    }
    return { files: [{ path: file, content }], output: [], notes };
  },
};
