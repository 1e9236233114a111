// Keys: providers, their keys (add, rotate, revoke; keys are write-only and shown only by
// fingerprint and last four characters), and exact model routes.

import { gql } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { dateTime } from '../format.js';
import { dataTable } from '../table.js';
import { confirmControl, field, pageHeader, section, statusLine } from './common.js';

const KEY_FIELDS = 'id fingerprint last4 state source createdAt lastUsedAt retiredAt revokedAt';
const QUERY = `query Keys {
  providers { id name kind baseUrl enabled keys { ${KEY_FIELDS} } }
  modelRoutes { id model upstreamModel provider { name } }
}`;
const SET_KEY = `mutation SetProviderKey($provider: String!, $key: String!) { setProviderKey(provider: $provider, key: $key) { ${KEY_FIELDS} } }`;
const REVOKE_KEY = `mutation RevokeProviderKey($id: ID!) { revokeProviderKey(id: $id) { ${KEY_FIELDS} } }`;
const UPSERT_PROVIDER = 'mutation UpsertProvider($input: ProviderInput!) { upsertProvider(input: $input) { id name } }';
const UPSERT_ROUTE = 'mutation UpsertModelRoute($input: ModelRouteInput!) { upsertModelRoute(input: $input) { id model } }';
const DELETE_ROUTE = 'mutation DeleteModelRoute($id: ID!) { deleteModelRoute(id: $id) }';
const KINDS = ['OPENAI', 'ANTHROPIC', 'GEMINI', 'OPENROUTER', 'OPENAI_COMPATIBLE'];

export async function render({ main, signal }) {
  main.append(pageHeader('Keys', 'Provider keys are write-only: once saved they are encrypted, and only a fingerprint and the last four characters are ever shown. A new key becomes active at once; the previous one is retired.'));
  // Outcomes are announced from one live region that outlives the re-rendered cards.
  const announce = statusLine();
  main.append(announce.el);
  const providersHolder = h('div', {});
  const routesHolder = h('div', {});
  main.append(providersHolder, routesHolder);

  async function load(focusSelector) {
    const data = await gql(QUERY, {}, { signal });
    replace(providersHolder, section('Providers and keys', data.providers.map(providerCard), addProviderForm()));
    replace(routesHolder, section('Model routes', h('p', { class: 'muted' }, 'Exact model names sent to a chosen provider, checked before the built-in prefix rules (claude- → Anthropic, gpt- → OpenAI, gemini- → Google, vendor/model → OpenRouter).'),
      routesTable(data.modelRoutes), routeForm(data.providers)));
    if (focusSelector) main.querySelector(focusSelector)?.focus();
  }

  function providerCard(provider) {
    const active = provider.keys.find((k) => k.state === 'ACTIVE');
    const headingId = uid('provider');
    const status = statusLine();
    const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true, minlength: '8', dataset: { provider: provider.name } });
    const label = active ? 'Rotate key' : 'Add key';
    const form = h('form', {
      class: 'inline-form', 'aria-label': `${label} for ${provider.name}`,
      on: {
        async submit(event) {
          event.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          const button = form.querySelector('button');
          button.disabled = true;
          try {
            const saved = (await gql(SET_KEY, { provider: provider.name, key }, { signal })).setProviderKey;
            input.value = '';
            await load();
            const card = main.querySelector(`[data-provider-card="${CSS.escape(provider.name)}"]`);
            const message = `The key ending in ${saved.last4} (fingerprint ${short(saved.fingerprint)}) is now active for ${provider.name}.`;
            announce.ok(message);
            card?.querySelector('.status')?.replaceWith(note(message));
            card?.querySelector('input[name="key"]')?.focus();
          } catch (err) {
            status.error(err.message);
            button.disabled = false;
          }
        },
      },
    }, field(`New key for ${provider.name}`, input, 'Paste the key; it is never shown again.'), h('button', { type: 'submit', class: 'button primary' }, label));
    return h('article', { class: 'provider', 'aria-labelledby': headingId, dataset: { providerCard: provider.name } },
      h('h3', { id: headingId }, provider.name, ' ', h('span', { class: ['badge', provider.enabled ? 'ok' : 'warn'] }, provider.enabled ? 'enabled' : 'disabled')),
      h('p', { class: 'muted provider-meta' }, `${provider.kind} · ${provider.baseUrl}`),
      dataTable({
        caption: `Keys of ${provider.name}`, captionVisible: false, stack: true, rows: provider.keys, empty: 'No key yet: requests to this provider fail until one is added.',
        rowAttrs: (k) => ({ dataset: { key: k.id, state: k.state } }),
        columns: [
          { key: 'last4', label: 'Key', rowHeader: true, format: (v) => `••••${v}` },
          { key: 'state', label: 'State', cell: (k) => h('span', { class: ['badge', k.state === 'ACTIVE' ? 'ok' : k.state === 'REVOKED' ? 'error' : null] }, k.state.toLowerCase()) },
          { key: 'fingerprint', label: 'Fingerprint', cell: (k) => h('code', {}, short(k.fingerprint)) },
          { key: 'source', label: 'Source' },
          { key: 'createdAt', label: 'Added', format: (v) => dateTime(v) },
          { key: 'lastUsedAt', label: 'Last used', format: (v) => dateTime(v) },
          { key: 'actions', label: 'Actions', cell: (k) => (k.state === 'REVOKED' ? h('span', { class: 'muted' }, `revoked ${dateTime(k.revokedAt)}`) : revokeControl(provider, k)) },
        ],
      }),
      form, status.el);
  }

  function revokeControl(provider, key) {
    return confirmControl({
      label: 'Revoke',
      name: `Revoke key ending in ${key.last4} of ${provider.name}`,
      confirmLabel: `Revoke ••••${key.last4}`,
      warning: key.state === 'ACTIVE' ? 'Requests will fail until a new key is added.' : null,
      busyLabel: 'Revoking…',
      async action() {
        await gql(REVOKE_KEY, { id: key.id }, { signal });
        announce.ok(`The key ending in ${key.last4} of ${provider.name} is revoked.`);
        await load(`[data-provider-card="${CSS.escape(provider.name)}"] input[name="key"]`);
      },
      onError: (err) => announce.error(err.message),
    });
  }

  function addProviderForm() {
    const status = statusLine();
    const name = h('input', { type: 'text', name: 'name', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'internal-llm' });
    const kind = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k, selected: k === 'OPENAI_COMPATIBLE' }, k)));
    const baseUrl = h('input', { type: 'url', name: 'baseUrl', required: true, placeholder: 'https://llm.internal.example/v1' });
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true });
    const enabledId = uid('enabled');
    enabled.id = enabledId;
    return h('details', { class: 'add-form' }, h('summary', {}, 'Add or update a provider'),
      h('form', {
        class: 'grid-form',
        on: {
          async submit(event) {
            event.preventDefault();
            try {
              await gql(UPSERT_PROVIDER, { input: { name: name.value.trim(), kind: kind.value, baseUrl: baseUrl.value.trim(), enabled: enabled.checked } }, { signal });
              await load(`[data-provider-card="${CSS.escape(name.value.trim())}"] input[name="key"]`);
            } catch (err) {
              status.error(err.message);
            }
          },
        },
      }, field('Name', name), field('Wire family', kind), field('Base URL', baseUrl, 'No credentials in it; add the key after saving.'),
      h('div', { class: 'field checkbox' }, enabled, h('label', { for: enabledId }, 'Enabled')),
      h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Save provider')), status.el));
  }

  function routesTable(routes) {
    return dataTable({
      caption: 'Model routes', captionVisible: false, stack: true, rows: routes, empty: 'No exact routes: every model goes by the prefix rules.',
      rowAttrs: (r) => ({ dataset: { route: r.id } }),
      columns: [
        { key: 'model', label: 'Model', rowHeader: true },
        { key: 'provider', label: 'Provider', value: (r) => r.provider.name },
        { key: 'upstreamModel', label: 'Upstream model', format: (v) => v ?? 'same' },
        { key: 'actions', label: 'Actions', cell: (r) => confirmControl({
          label: 'Delete',
          name: `Delete the route of ${r.model}`,
          confirmLabel: `Delete ${r.model}`,
          busyLabel: 'Deleting…',
          async action() {
            await gql(DELETE_ROUTE, { id: r.id }, { signal });
            announce.ok(`Deleted the route of ${r.model}.`);
            await load('#main h1');
          },
          onError: (err) => announce.error(err.message),
        }) },
      ],
    });
  }

  function routeForm(providers) {
    const status = statusLine();
    const model = h('input', { type: 'text', name: 'model', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'my-team-model' });
    const provider = h('select', { name: 'provider' }, providers.map((p) => h('option', { value: p.name }, p.name)));
    const upstream = h('input', { type: 'text', name: 'upstreamModel', autocomplete: 'off', spellcheck: 'false', placeholder: 'optional' });
    return h('form', {
      class: 'grid-form', 'aria-label': 'Add or update a model route',
      on: {
        async submit(event) {
          event.preventDefault();
          try {
            await gql(UPSERT_ROUTE, { input: { model: model.value.trim(), provider: provider.value, upstreamModel: upstream.value.trim() || null } }, { signal });
            await load('#main h1');
          } catch (err) {
            status.error(err.message);
          }
        },
      },
    }, field('Model', model), field('Provider', provider), field('Upstream model', upstream, 'Leave empty to send the same name.'),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Save route')), status.el);
  }

  await load();
}

/** A fingerprint's first 12 digest characters (after its `hmac-sha256:` label): enough to tell keys apart. */
const short = (fingerprint) => fingerprint.replace(/^[a-z0-9-]+:/i, '').slice(0, 12);

/** A visible outcome next to the control that caused it (announced by the page's live region). */
function note(text) {
  return h('p', { class: 'status ok' }, text);
}
