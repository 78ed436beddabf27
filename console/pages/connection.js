// A fieldworker's own connection: which Google account, how the sync is doing; connect,
// switch account or disconnect. Only the worker's own addresses are asked for.

import { html, useState } from "../vendor/standalone.module.js";
import { api, encode } from "../api.js";
import { Confirm } from "../dialog.js";
import { ago, dateTime } from "../format.js";
import { usePoll } from "../poll.js";
import { ConnectionBadge, FirstSync, linked } from "../states.js";
import { announce } from "../status.js";

export function ConnectionPage({ claims }) {
  const path = `/workers/${encode(claims.worker_id)}`;
  const [connection, setConnection] = useState(null);
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      setConnection(await api("GET", `${path}/connection`));
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  };
  usePoll(load, []);

  const connect = async () => {
    setBusy(true);
    try {
      const { url } = await api("POST", `${path}/authorization-url`);
      location.assign(url);
    } catch (failure) {
      announce(failure.message, "error");
      setBusy(false);
    }
  };
  const disconnect = async () => {
    setBusy(true);
    try {
      setConnection(await api("DELETE", `${path}/connection`));
      announce("Your Google Calendar is disconnected.");
      setConfirming(false);
    } catch (failure) {
      announce(failure.message, "error");
    } finally {
      setBusy(false);
    }
  };

  const isLinked = connection && linked(connection.state);
  return html`<section class="page">
    <header class="page-header">
      <h1 tabindex="-1">My connection</h1>
      <p class="lede">Your bookings go to your Google Calendar; your own events block your time.</p>
    </header>
    ${error && html`<p class="form-error" role="alert">Could not load your connection: ${error}</p>`}
    ${!connection && !error && html`<p class="muted">Loading…</p>`}
    ${connection &&
    html`<div class="card connection">
      <dl class="facts">
        <div><dt>State</dt><dd><${ConnectionBadge} state=${connection.state} /></dd></div>
        <div><dt>Google account</dt><dd>${connection.google_email || "—"}</dd></div>
        <div>
          <dt>Last sync</dt>
          <dd title=${dateTime(connection.last_synced_at)}>${ago(connection.last_synced_at)}</dd>
        </div>
        <div><dt>First sync</dt><dd><${FirstSync} connection=${connection} /></dd></div>
      </dl>
      ${connection.error && html`<p class="row-error">${connection.error}</p>`}
      <div class="form-actions">
        <button type="button" class="button button-primary" onClick=${connect} disabled=${busy}>
          ${isLinked ? "Use another Google account" : "Connect Google Calendar"}
        </button>
        ${isLinked &&
        html`<button type="button" class="button button-danger-quiet" onClick=${() => setConfirming(true)}>
          Disconnect
        </button>`}
      </div>
    </div>`}
    ${confirming &&
    html`<${Confirm}
      title="Disconnect your Google Calendar?"
      text="Bookings stop going to your Google Calendar and your own events stop blocking your time. Events already there stay."
      action="Disconnect"
      busy=${busy}
      onConfirm=${disconnect}
      onClose=${() => setConfirming(false)}
    />`}
  </section>`;
}
