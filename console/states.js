// How connection and booking-sync states read, in words and as badges (never colour alone).

import { html } from "./vendor/standalone.module.js";

const CONNECTION = {
  not_connected: ["Not connected", "neutral"],
  invited: ["Invited", "info"],
  connected: ["Connected", "ok"],
  needs_reauth: ["Must reconnect", "error"],
  disconnected: ["Disconnected", "neutral"],
};

const BOOKING_SYNC = {
  pending: ["Pending", "info"],
  synced: ["In Google", "ok"],
  removed: ["Removed from Google", "neutral"],
  detached: ["Left in Google", "neutral"],
  skipped: ["Not pushed", "neutral"],
  failed: ["Failed", "error"],
};

export const linked = (state) => state === "connected" || state === "needs_reauth";

export function ConnectionBadge({ state }) {
  const [label, tone] = CONNECTION[state] || [state, "neutral"];
  return html`<span class=${`badge badge-${tone}`}>${label}</span>`;
}

export function SyncBadge({ state }) {
  const [label, tone] = BOOKING_SYNC[state] || [state, "neutral"];
  return html`<span class=${`badge badge-${tone}`}>${label}</span>`;
}

/** A connection's first sync: "Done" or "Running", with what it pushed and imported so far. */
export function FirstSync({ connection }) {
  if (!connection || !linked(connection.state)) return html`<span class="muted">—</span>`;
  const { done, pushed, imported } = connection.first_sync;
  const counts = html`<span class="first-sync-counts">${pushed} pushed, ${imported} imported</span>`;
  if (done) return html`<span class="first-sync"><span>Done</span> ${counts}</span>`;
  return html`<span class="first-sync"
    ><span class="progress"><span class="spinner" aria-hidden="true"></span>Running</span>
    ${" "}${counts}</span
  >`;
}
