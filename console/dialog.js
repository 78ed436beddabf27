// A modal dialog on the native <dialog>: the browser traps focus inside it and closes it on
// Escape; focus goes back to what had it before (the button that opened it).

import { html, useEffect, useRef } from "./vendor/standalone.module.js";

let dialogs = 0;

/** Shown while mounted. `onClose` runs when it closes (Escape, a Cancel button, or done). */
export function Dialog({ title, onClose, children, wide = false }) {
  const ref = useRef(null);
  const id = useRef(`dialog-${++dialogs}`).current;
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  const closed = (event) => {
    event.preventDefault();
    onClose();
  };
  return html`<dialog
    ref=${ref}
    class=${wide ? "dialog dialog-wide" : "dialog"}
    aria-labelledby=${`${id}-title`}
    onCancel=${closed}
  >
    <h2 id=${`${id}-title`} class="dialog-title">${title}</h2>
    ${children}
  </dialog>`;
}

/** "Are you sure?" with the action named on its button. */
export function Confirm({ title, text, action, onConfirm, onClose, busy = false }) {
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <p>${text}</p>
    <div class="dialog-actions">
      <button type="button" class="button" onClick=${onClose} autofocus>Cancel</button>
      <button type="button" class="button button-danger" onClick=${onConfirm} disabled=${busy}>
        ${action}
      </button>
    </div>
  <//>`;
}
