// The console: who is looking (from the token), the navigation, and the page asked for.

import { html, render, useEffect, useRef, useState } from "./vendor/standalone.module.js";
import { api, setToken } from "./api.js";
import { claimsOf, forgetToken, takeToken } from "./session.js";
import { StatusBar } from "./status.js";
import { BookingPage } from "./pages/booking.js";
import { CalendarPage } from "./pages/calendar.js";
import { ConnectionPage } from "./pages/connection.js";
import { IntegrationPage } from "./pages/integration.js";
import { WorkersPage } from "./pages/workers.js";

// An admin (or the platform itself) sees every page; a fieldworker its own connection and
// calendar, and nothing of anyone else.
const ADMIN_PAGES = [
  { id: "workers", label: "Workers", Page: WorkersPage },
  { id: "calendar", label: "Calendar", Page: CalendarPage },
  { id: "booking", label: "Booking sync", Page: BookingPage },
  { id: "integration", label: "Integration", Page: IntegrationPage },
];
const WORKER_PAGES = [
  { id: "connection", label: "My connection", Page: ConnectionPage },
  { id: "calendar", label: "My calendar", Page: CalendarPage },
];

/** `#booking/b1` → {page: "booking", arg: "b1"}. */
function readRoute() {
  const [page, ...rest] = decodeURIComponent(location.hash.slice(1)).split("/");
  return { page, arg: rest.join("/") || null };
}

function App({ claims, onSignOut }) {
  const admin = claims.role !== "fieldworker";
  const pages = admin ? ADMIN_PAGES : WORKER_PAGES;
  const [route, setRoute] = useState(readRoute);
  const [settings, setSettings] = useState(null);
  const shown = useRef(null); // the page on screen, once there is one

  useEffect(() => {
    const changed = () => setRoute(readRoute());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  useEffect(() => {
    if (admin) api("GET", "/settings").then(setSettings, () => setSettings({}));
  }, []);

  const ready = !admin || settings !== null;
  const current = pages.find((page) => page.id === route.page);
  useEffect(() => {
    // No page (or one this person may not see) asked for: the home page, in the address.
    if (!ready || current) return;
    const home = admin && settings.enabled === false ? "integration" : pages[0].id;
    history.replaceState(null, "", `${location.pathname}${location.search}#${home}`);
    setRoute(readRoute());
  }, [ready, current]);

  useEffect(() => {
    // After a move (not on arrival), focus goes to the new page's heading.
    if (!current) return;
    const here = `${route.page}/${route.arg}`;
    if (shown.current !== null && shown.current !== here) {
      const heading = document.querySelector("main h1");
      if (heading) heading.focus();
    }
    shown.current = here;
  }, [current, route.arg]);

  if (!ready || !current) return html`<p class="starting">Loading the console…</p>`;
  const { Page } = current;
  const who = admin ? "Admin" : "Fieldworker";
  const title = admin ? settings.company_name || "Your company" : "Your Google Calendar";

  return html`
    <a class="skip-link" href="#main" onClick=${skipToMain}>Skip to content</a>
    <header class="top">
      <div class="brand">
        <img src="/console/icon.svg" alt="" width="28" height="28" />
        <div>
          <p class="brand-name">Google Calendar sync</p>
          <p class="brand-company">${title}</p>
        </div>
      </div>
      <div class="who">
        <span class="badge badge-neutral">${who}</span>
        <button type="button" class="button button-quiet" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <nav class="tabs" aria-label="Console pages">
      <ul>
        ${pages.map(
          (page) => html`<li key=${page.id}>
            <a href=${`#${page.id}`} aria-current=${page === current ? "page" : undefined}
              >${page.label}</a
            >
          </li>`,
        )}
      </ul>
    </nav>
    <main id="main" tabindex="-1">
      <${Page}
        key=${current.id}
        claims=${claims}
        arg=${route.arg}
        settings=${settings}
        onSettings=${setSettings}
      />
    </main>
    <${StatusBar} page=${current.id} />
  `;
}

function skipToMain(event) {
  // The hash is the page's address here, so the skip link moves focus itself.
  event.preventDefault();
  const heading = document.querySelector("main h1") || document.getElementById("main");
  heading.focus();
}

function SignIn({ reason }) {
  return html`<main class="sign-in" id="main">
    <img src="/console/icon.svg" alt="" width="48" height="48" />
    <h1>Google Calendar sync</h1>
    <p>${reason}</p>
    <p class="muted">
      Open the console from the platform, which hands it your session.
      On a local stack, <code>make run</code> prints a console address that signs you in as
      an admin.
    </p>
  </main>`;
}

function Root() {
  const [token, setTokenState] = useState(takeToken);
  const [reason, setReason] = useState(null);
  const claims = token ? claimsOf(token) : null;
  setToken(token, () => {
    forgetToken();
    setReason("Your session has ended. Open the console again from the platform.");
    setTokenState(null);
  });
  if (!token || !claims) {
    const why =
      reason ||
      (token ? "This session has expired or cannot be read." : "This console needs a session.");
    return html`<${SignIn} reason=${why} />`;
  }
  const signOut = () => {
    forgetToken();
    setReason("You signed out of the console.");
    setTokenState(null);
  };
  return html`<${App} claims=${claims} onSignOut=${signOut} />`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${Root} />`, root);
