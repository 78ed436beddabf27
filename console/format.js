// Times as people read them: in this browser's time zone, in its language.

export const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "short" });
const weekdayLong = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
});
const dayOfMonth = new Intl.DateTimeFormat(undefined, { day: "numeric" });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const dayMonthYear = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
});
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export const time = (value) => timeOnly.format(new Date(value));
export const dateTime = (value) => (value ? dayAndTime.format(new Date(value)) : "");
export const dayName = (date) => weekday.format(date);
export const dayNumber = (date) => dayOfMonth.format(date);
export const longDay = (date) => weekdayLong.format(date);

/** "3 – 9 Mar 2026" for the week starting at `start`. */
export function weekTitle(start) {
  const last = addDays(start, 6);
  return `${dayMonth.format(start)} – ${dayMonthYear.format(last)}`;
}

/** "5 minutes ago", "in 2 hours"; "never" for nothing. */
export function ago(value) {
  if (!value) return "never";
  const seconds = (new Date(value).getTime() - Date.now()) / 1000;
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(0, "second");
}

export function addDays(date, days) {
  const next = new Date(date);
  next.setDate(next.getDate() + days);
  return next;
}

/** Monday 00:00 (local time) of the week holding `date`. */
export function startOfWeek(date) {
  const start = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  return addDays(start, -((start.getDay() + 6) % 7));
}

export const sameDay = (a, b) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** A local calendar date (YYYY-MM-DD, as all-day events carry) as local midnight. */
export function localDate(text) {
  const [year, month, day] = text.split("-").map(Number);
  return new Date(year, month - 1, day);
}
