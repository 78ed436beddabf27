// Workers: who is connected to which Google account, how their sync is doing, and what an
// admin can do about it (invite, copy the link, resync, disconnect).

import { html, useState } from "../vendor/standalone.module.js";
import { api, encode } from "../api.js";
import { Confirm, Dialog } from "../dialog.js";
import { ago, dateTime } from "../format.js";
import { copyText } from "../forms.js";
import { usePoll } from "../poll.js";
import { ConnectionBadge, FirstSync, linked } from "../states.js";
import { announce } from "../status.js";
import { InvitationDialog } from "./invitation.js";

const workerPath = (worker) => `/workers/${encode(worker.worker_id)}`;

export function WorkersPage() {
  const [workers, setWorkers] = useState(null);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null); // {kind: "invite" | "disconnect" | "link", worker, url?}
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      // One request however many workers: each entry carries its first-sync progress.
      const { workers: list } = await api("GET", "/connections");
      setWorkers(list);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  };
  usePoll(load, []);

  const act = async (label, call) => {
    setBusy(true);
    try {
      await call();
      announce(label);
      await load();
    } catch (failure) {
      announce(failure.message, "error");
    } finally {
      setBusy(false);
    }
  };
  const resync = (worker) =>
    act(`Resync of ${nameOf(worker)} queued.`, () => api("POST", `${workerPath(worker)}/resync`));
  const disconnect = (worker) =>
    act(`${nameOf(worker)} is disconnected.`, async () => {
      await api("DELETE", `${workerPath(worker)}/connection`);
      setOpen(null);
    });
  const copyLink = async (worker) => {
    try {
      const { url } = await api("POST", `${workerPath(worker)}/authorization-url`);
      if (await copyText(url)) announce(`${nameOf(worker)}'s "Sync calendar" link is copied.`);
      else setOpen({ kind: "link", worker, url });
    } catch (failure) {
      announce(failure.message, "error");
    }
  };

  const connected = workers ? workers.filter((w) => w.state === "connected").length : 0;
  return html`<section class="page page-wide">
    <header class="page-header">
      <h1 tabindex="-1">Workers</h1>
      <p class="lede">
        ${workers
          ? `${connected} of ${workers.length} worker${workers.length === 1 ? "" : "s"} connected to Google Calendar.`
          : "Who is connected to Google Calendar."}
      </p>
    </header>
    ${error && html`<p class="form-error" role="alert">Could not load the workers: ${error}</p>`}
    ${workers === null && !error && html`<p class="muted">Loading…</p>`}
    ${workers &&
    workers.length === 0 &&
    html`<p class="empty-state">No workers yet. The platform adds them as it saves its roster.</p>`}
    ${workers &&
    workers.length > 0 &&
    html`<div class="table-wrap">
      <table class="workers">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">State</th>
            <th scope="col">Google account</th>
            <th scope="col">Last sync</th>
            <th scope="col">First sync</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${workers.map(
            (worker) => html`<${WorkerRow}
              key=${worker.worker_id}
              worker=${worker}
              connection=${worker}
              busy=${busy}
              onInvite=${() => setOpen({ kind: "invite", worker })}
              onCopy=${() => copyLink(worker)}
              onResync=${() => resync(worker)}
              onDisconnect=${() => setOpen({ kind: "disconnect", worker })}
            />`,
          )}
        </tbody>
      </table>
    </div>`}
    ${open &&
    open.kind === "invite" &&
    html`<${InvitationDialog}
      worker=${open.worker}
      onClose=${(sent) => {
        setOpen(null);
        if (sent) load();
      }}
    />`}
    ${open &&
    open.kind === "disconnect" &&
    html`<${Confirm}
      title=${`Disconnect ${nameOf(open.worker)}?`}
      text=${`Nothing more goes to ${open.worker.google_email || "their Google Calendar"}, and their Google busy time stops coming in. Events already in Google stay there. They can connect again from a new invitation.`}
      action="Disconnect"
      busy=${busy}
      onConfirm=${() => disconnect(open.worker)}
      onClose=${() => setOpen(null)}
    />`}
    ${open &&
    open.kind === "link" &&
    html`<${Dialog} title=${`"Sync calendar" link for ${nameOf(open.worker)}`} onClose=${() => setOpen(null)}>
      <p>Copy this link and send it to ${nameOf(open.worker)}. It opens Google's consent page.</p>
      <label for="sync-link" class="visually-hidden">Sync calendar link</label>
      <input id="sync-link" type="text" readonly value=${open.url} onFocus=${(e) => e.target.select()} autofocus />
      <div class="dialog-actions">
        <button type="button" class="button" onClick=${() => setOpen(null)}>Done</button>
      </div>
    <//>`}
  </section>`;
}

const nameOf = (worker) => worker.name || worker.worker_id;

// An emailed invitation is for a worker who is not connected (an email can be forwarded, so
// it never moves a working connection).
const INVITE_LABELS = { invited: "Invite again", needs_reauth: "Invite to reconnect" };

function WorkerRow({ worker, connection, busy, onInvite, onCopy, onResync, onDisconnect }) {
  const name = nameOf(worker);
  const hidden = html`<span class="visually-hidden"> ${name}</span>`;
  const isLinked = linked(worker.state);
  return html`<tr>
    <th scope="row" data-label="Worker">
      <span class="worker-name">${name}</span>
      ${worker.name && html`<span class="muted small"> ${worker.worker_id}</span>`}
    </th>
    <td data-label="State">
      <${ConnectionBadge} state=${worker.state} />
      ${worker.error && html`<p class="row-error">${worker.error}</p>`}
    </td>
    <td data-label="Google account">${worker.google_email || html`<span class="muted">—</span>`}</td>
    <td data-label="Last sync">
      ${worker.last_synced_at
        ? html`<time datetime=${worker.last_synced_at} title=${dateTime(worker.last_synced_at)}
            >${ago(worker.last_synced_at)}</time
          >`
        : html`<span class="muted">never</span>`}
    </td>
    <td data-label="First sync"><${FirstSync} connection=${connection} /></td>
    <td class="actions">
      ${worker.state !== "connected" &&
      html`<button type="button" class="button button-small" onClick=${onInvite}>
        ${INVITE_LABELS[worker.state] || "Invite"}${hidden}
      </button>`}
      <button type="button" class="button button-small" onClick=${onCopy}>
        Copy link${hidden}
      </button>
      ${isLinked &&
      html`<button type="button" class="button button-small" onClick=${onResync} disabled=${busy}>
          Resync${hidden}
        </button>
        <button type="button" class="button button-small button-danger-quiet" onClick=${onDisconnect}>
          Disconnect${hidden}
        </button>`}
    </td>
  </tr>`;
}
