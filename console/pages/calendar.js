// Calendar: a week per worker of bookings, unavailable time and Google busy time, with the
// "display calendars" filter and conflicts marked. It reloads every few seconds while the tab
// is visible, so busy time arriving from Google shows up without a reload.

import { html, useEffect, useMemo, useState } from "../vendor/standalone.module.js";
import { api, encode } from "../api.js";
import {
  addDays,
  dayName,
  dayNumber,
  localDate,
  longDay,
  sameDay,
  startOfWeek,
  time,
  weekTitle,
  zone,
} from "../format.js";
import { usePoll } from "../poll.js";
import { ConnectionBadge, linked } from "../states.js";

const MAX_CALENDAR_IDS = 50; // GET /calendar takes at most this many calendar_ids

export function CalendarPage({ claims }) {
  const admin = claims.role !== "fieldworker";
  const [week, setWeek] = useState(() => startOfWeek(new Date()));
  const [workers, setWorkers] = useState(null);
  const [only, setOnly] = useState("all"); // an admin's choice of worker
  const [calendars, setCalendars] = useState([]); // [{id, summary, primary, account}]
  const [hidden, setHidden] = useState(() => new Set()); // calendar ids not displayed
  const [colors, setColors] = useState({});
  const [view, setView] = useState(null);
  const [clashes, setClashes] = useState(new Set());
  const [error, setError] = useState(null);
  const [updatedAt, setUpdatedAt] = useState(null);

  useEffect(() => {
    loadWorkers(admin, claims).then(async (list) => {
      setWorkers(list);
      setCalendars(await loadCalendars(list));
    }, (failure) => setError(failure.message));
    if (admin) {
      api("GET", "/booking-statuses").then(
        ({ statuses }) => setColors(Object.fromEntries(statuses.map((s) => [s.id, s.color]))),
        () => {},
      );
    }
  }, []);

  const shown = calendars.filter((c) => !hidden.has(c.id));
  const noneShown = calendars.length > 0 && shown.length === 0;
  const calendarIds =
    hidden.size === 0 || noneShown || shown.length > MAX_CALENDAR_IDS ? null : shown.map((c) => c.id);
  const workerIds = admin && only !== "all" ? [only] : null;

  usePoll(async () => {
    const query = {
      from: week.toISOString(),
      to: addDays(week, 7).toISOString(),
      worker_ids: workerIds,
    };
    try {
      const [calendar, conflicts] = await Promise.all([
        api("GET", "/calendar", { query: { ...query, calendar_ids: calendarIds } }),
        api("GET", "/conflicts", { query }),
      ]);
      const marked = new Set();
      for (const conflict of conflicts.conflicts) {
        marked.add(`booking:${conflict.booking_id}:${conflict.worker_id}`);
        marked.add(`busy:${conflict.busy.id}`);
      }
      setView(calendar);
      setClashes(marked);
      setError(null);
      setUpdatedAt(new Date());
    } catch (failure) {
      setError(failure.message);
    }
  }, [week.getTime(), only, (calendarIds || []).join(","), noneShown]);

  const rows = useMemo(() => {
    if (!workers) return [];
    return admin && only !== "all" ? workers.filter((w) => w.worker_id === only) : workers;
  }, [workers, only]);
  const names = Object.fromEntries(calendars.map((c) => [c.id, c.summary]));
  const toggle = (id) => {
    const next = new Set(hidden);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setHidden(next);
  };

  return html`<section class="page page-wide">
    <header class="page-header">
      <h1 tabindex="-1">${admin ? "Calendar" : "My calendar"}</h1>
      <p class="lede">
        Bookings, unavailable time and Google busy time. Times in ${zone}.
      </p>
    </header>
    <div class="toolbar">
      <div class="week-nav" role="group" aria-label="Week">
        <button type="button" class="button" onClick=${() => setWeek(addDays(week, -7))}>
          <span aria-hidden="true">‹</span> Previous<span class="visually-hidden"> week</span>
        </button>
        <button type="button" class="button" onClick=${() => setWeek(startOfWeek(new Date()))}>
          This week
        </button>
        <button type="button" class="button" onClick=${() => setWeek(addDays(week, 7))}>
          Next<span class="visually-hidden"> week</span> <span aria-hidden="true">›</span>
        </button>
      </div>
      <h2 class="week-title" aria-live="polite">${weekTitle(week)}</h2>
      ${admin &&
      workers &&
      html`<div class="field field-inline">
        <label for="worker-filter">Worker</label>
        <select id="worker-filter" value=${only} onChange=${(event) => setOnly(event.target.value)}>
          <option value="all">All workers</option>
          ${workers.map((w) => html`<option value=${w.worker_id} key=${w.worker_id}>${w.name || w.worker_id}</option>`)}
        </select>
      </div>`}
      <${CalendarFilter} calendars=${calendars} hidden=${hidden} onToggle=${toggle} />
    </div>
    <${Legend} />
    ${error && html`<p class="form-error" role="alert">Could not load the calendar: ${error}</p>`}
    ${(!view || !workers) && !error && html`<p class="muted">Loading…</p>`}
    ${view &&
    workers &&
    rows.map(
      (worker) => html`<${WorkerWeek}
        key=${worker.worker_id}
        worker=${worker}
        admin=${admin}
        week=${week}
        items=${itemsOf(view, worker.worker_id, noneShown)}
        clashes=${clashes}
        colors=${colors}
        calendarNames=${names}
      />`,
    )}
    ${updatedAt &&
    html`<p class="muted small updated">
      Updated at ${updatedAt.toLocaleTimeString()}; this page refreshes every few seconds.
    </p>`}
  </section>`;
}

async function loadWorkers(admin, claims) {
  if (admin) return (await api("GET", "/connections")).workers;
  const connection = await api("GET", `/workers/${encode(claims.worker_id)}/connection`);
  return [{ worker_id: claims.worker_id, name: "Your week", ...connection }];
}

/** The imported calendars of every linked worker (a shared Google account's once). */
async function loadCalendars(workers) {
  const found = new Map();
  const answers = await Promise.all(
    workers
      .filter((worker) => linked(worker.state))
      .map((worker) =>
        api("GET", `/workers/${encode(worker.worker_id)}/calendars`).then(
          ({ calendars }) => ({ worker, calendars }),
          () => ({ worker, calendars: [] }),
        ),
      ),
  );
  for (const { worker, calendars } of answers) {
    for (const calendar of calendars) {
      if (!calendar.selected || found.has(calendar.id)) continue;
      found.set(calendar.id, {
        id: calendar.id,
        summary: calendar.summary || calendar.id,
        primary: calendar.primary,
        account: worker.google_email || "",
      });
    }
  }
  return [...found.values()];
}

function CalendarFilter({ calendars, hidden, onToggle }) {
  if (calendars.length === 0) return null;
  const count = calendars.length - calendars.filter((c) => hidden.has(c.id)).length;
  return html`<details class="filter">
    <summary>Display calendars <span class="muted">(${count} of ${calendars.length})</span></summary>
    <fieldset>
      <legend class="visually-hidden">Google calendars whose busy time is shown</legend>
      ${calendars.map(
        (calendar) => html`<label class="check" key=${calendar.id}>
          <input
            type="checkbox"
            checked=${!hidden.has(calendar.id)}
            onChange=${() => onToggle(calendar.id)}
          />
          <span>${calendar.summary}${!calendar.primary && calendar.account
            ? html` <span class="muted small">${calendar.account}</span>`
            : ""}</span>
        </label>`,
      )}
    </fieldset>
  </details>`;
}

function Legend() {
  return html`<ul class="legend" aria-label="Legend">
    <li><span class="swatch swatch-booking"></span>Booking</li>
    <li><span class="swatch swatch-busy"></span>Google busy time</li>
    <li><span class="swatch swatch-unavailable"></span>Unavailable</li>
    <li><span class="swatch swatch-conflict"></span>Conflict</li>
  </ul>`;
}

/** One worker's items of the view, each with a kind, a time span and what to show. */
function itemsOf(view, workerId, noBusy) {
  const items = [];
  for (const booking of view.bookings) {
    if (!booking.worker_ids.includes(workerId)) continue;
    items.push({ kind: "booking", ...booking, start: new Date(booking.start), end: new Date(booking.end) });
  }
  for (const block of view.unavailable || []) {
    if (block.worker_id !== workerId) continue;
    items.push({ kind: "unavailable", ...block, start: new Date(block.start), end: new Date(block.end) });
  }
  if (!noBusy) {
    for (const block of view.busy) {
      if (block.worker_id !== workerId) continue;
      const allDay = block.all_day && block.start_date && block.end_date;
      items.push({
        kind: "busy",
        ...block,
        start: allDay ? localDate(block.start_date) : new Date(block.start),
        end: allDay ? localDate(block.end_date) : new Date(block.end),
      });
    }
  }
  return items.sort((a, b) => (b.all_day ? 1 : 0) - (a.all_day ? 1 : 0) || a.start - b.start);
}

function WorkerWeek({ worker, admin, week, items, clashes, colors, calendarNames }) {
  const days = [...Array(7).keys()].map((offset) => addDays(week, offset));
  const today = new Date();
  const headingId = `week-${worker.worker_id}`;
  return html`<section class="worker-week" aria-labelledby=${headingId}>
    <header class="worker-week-head">
      <h2 id=${headingId}>${worker.name || worker.worker_id}</h2>
      ${worker.google_email && html`<span class="muted small">${worker.google_email}</span>`}
      <${ConnectionBadge} state=${worker.state} />
    </header>
    <ol class="week">
      ${days.map((day) => {
        const next = addDays(day, 1);
        const onDay = items.filter((item) => item.start < next && item.end > day);
        const classes = ["day", sameDay(day, today) && "today", onDay.length === 0 && "day-empty"];
        return html`<li class=${classes.filter(Boolean).join(" ")} key=${day.getTime()}>
          <h3 class="day-head">
            <span aria-hidden="true"
              ><span class="day-name">${dayName(day)}</span>${" "}<span class="day-number"
                >${dayNumber(day)}</span
              ></span
            >
            <span class="visually-hidden">${longDay(day)}</span>
          </h3>
          ${onDay.length === 0
            ? html`<p class="day-free">Free</p>`
            : html`<ul class="items">
                ${onDay.map(
                  (item) => html`<${Item}
                    key=${`${item.kind}:${item.id}`}
                    item=${item}
                    day=${day}
                    next=${next}
                    admin=${admin}
                    conflict=${item.kind === "booking"
                      ? clashes.has(`booking:${item.id}:${worker.worker_id}`)
                      : item.kind === "busy" && clashes.has(`busy:${item.id}`)}
                    color=${item.kind === "booking" ? colors[item.status_id] : null}
                    calendarName=${item.kind === "busy" ? calendarNames[item.calendar_id] : null}
                  />`,
                )}
              </ul>`}
        </li>`;
      })}
    </ol>
  </section>`;
}

function span(item, day, next) {
  if (item.all_day) return "All day";
  const from = item.start < day ? "…" : time(item.start);
  const to = item.end > next ? "…" : time(item.end);
  return `${from}–${to}`;
}

function Item({ item, day, next, admin, conflict, color, calendarName }) {
  const classes = `item item-${item.kind}${conflict ? " item-conflict" : ""}`;
  const when = html`<span class="item-time">${span(item, day, next)}</span>`;
  const flag = conflict && html`<span class="badge badge-error item-flag">Conflict</span>`;
  if (item.kind === "booking") {
    const style = color ? { borderLeftColor: color } : undefined;
    const body = html`${when}<span class="item-title">${item.title}</span>${flag}`;
    return html`<li class=${classes} style=${style}>
      ${admin
        ? html`<a class="item-link" href=${`#booking/${encodeURIComponent(item.id)}`}
            aria-label=${`${item.title}, ${span(item, day, next)}${conflict ? ", conflict" : ""}: sync details`}
            >${body}</a
          >`
        : body}
    </li>`;
  }
  if (item.kind === "busy") {
    return html`<li class=${classes}>
      ${when}
      <span class="item-title"><span class="item-kind">Busy</span> ${item.summary || ""}</span>
      ${calendarName && html`<span class="item-calendar">${calendarName}</span>`} ${flag}
    </li>`;
  }
  return html`<li class=${classes}>
    ${when}<span class="item-title">${item.title}</span>
  </li>`;
}
