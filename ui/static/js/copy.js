// Code blocks with a Copy button. The Clipboard API needs a secure context, and a tailnet
// dashboard is often plain http://ai, so there is a fallback through a selected textarea.

import { h, uid } from './dom.js';

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // permission refused: try the selection fallback below
    }
  }
  const area = h('textarea', { class: 'visually-hidden', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A titled, copyable code block: { title (e.g. a file name), code, label (what it is, for the button) }. */
export function codeBlock({ title, code, label }) {
  const titleId = uid('code');
  const status = h('span', { class: 'copy-status', role: 'status', 'aria-live': 'polite' });
  const pre = h('pre', { tabindex: '0', 'aria-labelledby': titleId }, h('code', {}, code));
  const button = h('button', {
    type: 'button', class: 'button secondary small', 'aria-label': `Copy ${label}`,
    on: {
      async click() {
        const ok = await copyText(code);
        status.textContent = ok ? 'Copied.' : 'Select the text and copy it with your keyboard.';
        if (!ok) {
          const range = document.createRange();
          range.selectNodeContents(pre);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }
        setTimeout(() => { status.textContent = ''; }, 4000);
      },
    },
  }, 'Copy');
  return h('div', { class: 'code-block' }, h('div', { class: 'code-head' }, h('span', { id: titleId, class: 'code-title' }, title), status, button), pre);
}
