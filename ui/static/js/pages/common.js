// Pieces every page uses: headings, sections, error and status messages.

import { h, replace, uid } from '../dom.js';

/** The page's h1 (focus lands on it after navigation) and an introduction. */
export function pageHeader(title, intro, ...extra) {
  return h('div', { class: 'page-header' },
    h('h1', { tabindex: '-1' }, title),
    intro ? h('p', { class: 'lead' }, intro) : null,
    extra);
}

/** A <section> labelled by its h2. */
export function section(title, ...children) {
  const id = uid('section');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

export function errorBox(err) {
  const message = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'alert error', role: 'alert' }, h('strong', {}, 'Something went wrong. '), message);
}

/** A polite live region for the outcome of an action ("Key saved"), read out without moving focus. */
export function statusLine() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    ok(text) {
      el.className = 'status ok';
      el.textContent = text;
    },
    error(text) {
      el.className = 'status error';
      el.textContent = text;
    },
    clear() {
      el.className = 'status';
      el.textContent = '';
    },
  };
}

/** A button that shows it is busy while `action` runs, and cannot be pressed twice. */
export function actionButton(label, action, { variant = 'primary', type = 'button', busyLabel = 'Working…' } = {}) {
  const button = h('button', { type, class: `button ${variant}` }, label);
  if (type === 'button') {
    button.addEventListener('click', async () => {
      if (button.disabled) return;
      button.disabled = true;
      button.textContent = busyLabel;
      try {
        await action();
      } finally {
        button.disabled = false;
        button.textContent = label;
      }
    });
  }
  return button;
}

/** A labelled form field: { label, input, hint }. */
export function field(label, input, hint) {
  const id = input.id || uid('field');
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('span', { class: 'hint', id: `${id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

/**
 * A destructive action in two steps: `label` asks, then "`confirmLabel`" does it (Cancel goes
 * back). Focus moves to the confirm button and back, so it works from the keyboard alone.
 * `name` is the accessible name of the first button (e.g. "Revoke key ending in 1234 of openai").
 */
export function confirmControl({ label, name, confirmLabel, warning, busyLabel, action, onError }) {
  const holder = h('span', { class: 'confirm' });
  const start = () => h('button', { type: 'button', class: 'button secondary', 'aria-label': name, on: { click: ask } }, label);
  function ask() {
    const confirm = actionButton(confirmLabel, async () => {
      try {
        await action();
      } catch (err) {
        onError(err);
      }
    }, { variant: 'danger', busyLabel });
    const cancel = h('button', { type: 'button', class: 'button secondary', on: { click: () => { replace(holder, start()); holder.querySelector('button').focus(); } } }, 'Cancel');
    replace(holder, warning ? h('span', { class: 'muted' }, `${warning} `) : null, confirm, ' ', cancel);
    confirm.focus();
  }
  return replace(holder, start());
}
