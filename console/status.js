// One place that tells what just happened, read out by screen readers (aria-live).

import { html, useEffect, useState } from "./vendor/standalone.module.js";

const listeners = new Set();

/** Say `text` in the status bar; `kind` is "ok" or "error". */
export function announce(text, kind = "ok") {
  for (const listener of listeners) listener({ text, kind, at: Date.now() });
}

/** The status line; what it says belongs to the page it was said on (`page`). */
export function StatusBar({ page }) {
  const [message, setMessage] = useState(null);
  useEffect(() => {
    listeners.add(setMessage);
    return () => listeners.delete(setMessage);
  }, []);
  useEffect(() => setMessage(null), [page]);
  useEffect(() => {
    if (!message) return undefined;
    const timer = setTimeout(() => setMessage(null), message.kind === "error" ? 15000 : 6000);
    return () => clearTimeout(timer);
  }, [message]);
  return html`<div class="status-bar" role="status" aria-live="polite">
    ${message &&
    html`<p class=${`status status-${message.kind}`} key=${message.at}>${message.text}</p>`}
  </div>`;
}
