// Building the DOM without parsing HTML: every value a page shows (principal ids, tool names, model
// names, audit details) comes from callers of the gateway, so it only ever becomes text nodes.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('a', { href: '/ui/', class: 'x', on: { click } }, 'text', child) → HTMLElement.
 * Props: `class`, `text`, `on` (listeners), `dataset`, DOM properties for `value`, `checked`,
 * `disabled`, `selected`, `hidden`; everything else is an attribute (null/false: left out).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** Like h() for SVG elements. */
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden']);

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) {
      if (PROPERTIES.has(key)) el[key] = false;
      continue;
    }
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'on') for (const [event, listener] of Object.entries(value)) el.addEventListener(event, listener);
    else if (key === 'dataset') for (const [name, v] of Object.entries(value)) { if (v !== null && v !== undefined) el.dataset[name] = String(v); }
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Appends children: nodes, strings (as text), numbers; arrays are flattened, null/false skipped. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let nextId = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}
