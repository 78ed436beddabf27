// Form fields with their label, hint and error tied to the input (aria-describedby), and the
// API's refusals shown next to the field they name.

import { html } from "./vendor/standalone.module.js";

/** A labelled control. `error` is the API's message for this field, if it named it. */
export function Field({ id, label, hint, error, children, optional = false }) {
  return html`<div class=${error ? "field field-invalid" : "field"}>
    <label for=${id}>${label}${optional && html` <span class="muted">(optional)</span>`}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${children}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** The aria attributes of a control inside `Field`. */
export function described(id, hint, error) {
  const ids = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean);
  return {
    id,
    "aria-describedby": ids.length ? ids.join(" ") : undefined,
    "aria-invalid": error ? "true" : undefined,
  };
}

/** The API names the field it refuses (`client_id`, `selected.0`): its top-level name. */
export const fieldOf = (error) => (error && error.field ? error.field.split(".")[0] : null);

/** Copy `text`, or say how to copy it by hand; true once copied. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
