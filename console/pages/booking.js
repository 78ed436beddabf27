// Booking sync: where one booking stands in each assigned worker's Google Calendar
// (GET /bookings/{id}/sync), with the error and the Google busy time it clashes with.

import { html, useEffect, useState } from "../vendor/standalone.module.js";
import { api, encode } from "../api.js";
import { dateTime, time } from "../format.js";
import { usePoll } from "../poll.js";
import { SyncBadge } from "../states.js";

export function BookingPage({ arg }) {
  const [typed, setTyped] = useState(arg || "");
  const [sync, setSync] = useState(null);
  const [error, setError] = useState(null);
  const [names, setNames] = useState({});

  useEffect(() => {
    api("GET", "/connections").then(
      ({ workers }) => setNames(Object.fromEntries(workers.map((w) => [w.worker_id, w.name]))),
      () => {},
    );
  }, []);
  useEffect(() => {
    setTyped(arg || "");
    setSync(null);
    setError(null);
  }, [arg]);

  usePoll(async () => {
    if (!arg) return;
    try {
      setSync(await api("GET", `/bookings/${encode(arg)}/sync`));
      setError(null);
    } catch (failure) {
      setSync(null);
      setError(failure.status === 404 ? `There is no booking “${arg}”.` : failure.message);
    }
  }, [arg]);

  const show = (event) => {
    event.preventDefault();
    const id = typed.trim();
    if (id) location.hash = `booking/${encodeURIComponent(id)}`;
  };
  const rows = sync ? Object.entries(sync.workers) : [];

  return html`<section class="page">
    <header class="page-header">
      <h1 tabindex="-1">Booking sync</h1>
      <p class="lede">Where one booking stands in each assigned worker's Google Calendar.</p>
    </header>
    <form class="inline-form" onSubmit=${show} role="search">
      <label for="booking-id">Booking ID</label>
      <input
        id="booking-id"
        type="text"
        value=${typed}
        onInput=${(event) => setTyped(event.target.value)}
        autocomplete="off"
        spellcheck="false"
      />
      <button type="submit" class="button button-primary">Show</button>
    </form>
    <p class="hint">Or pick a booking on the Calendar page.</p>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${sync &&
    (rows.length === 0
      ? html`<p class="empty-state">Booking ${arg} is assigned to nobody.</p>`
      : html`<div class="table-wrap">
          <table class="sync">
            <caption>Booking ${arg}</caption>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
                <th scope="col">Google event</th>
                <th scope="col">Conflicts</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                ([workerId, entry]) => html`<tr key=${workerId}>
                  <th scope="row" data-label="Worker">${names[workerId] || workerId}</th>
                  <td data-label="State">
                    <${SyncBadge} state=${entry.state} />
                    ${entry.error && html`<p class="row-error">${entry.error}</p>`}
                  </td>
                  <td data-label="Updated">${entry.updated_at ? dateTime(entry.updated_at) : "—"}</td>
                  <td data-label="Google event" class="mono small" title=${entry.calendar_id || ""}>
                    ${entry.event_id || "—"}
                  </td>
                  <td data-label="Conflicts">
                    ${entry.conflicts.length === 0
                      ? html`<span class="muted">Nothing</span>`
                      : html`<ul class="plain">
                          ${entry.conflicts.map(
                            (busy) => html`<li key=${busy.id}>
                              <span class="badge badge-error">Conflict</span>
                              ${busy.summary || "Busy"} ${time(busy.start)}–${time(busy.end)}
                            </li>`,
                          )}
                        </ul>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`)}
  </section>`;
}
