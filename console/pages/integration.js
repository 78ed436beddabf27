// Integration: on or off, whose Google client (the platform's or the company's own), which way
// events flow, and who hears about problems. Saved with PUT /settings.

import { html, useState } from "../vendor/standalone.module.js";
import { api } from "../api.js";
import { Field, copyText, described, fieldOf } from "../forms.js";
import { announce } from "../status.js";

// What a service account acting for the company's users asks for (shared/google/oauth.py's
// DELEGATED_SCOPES; a test keeps the two the same).
export const DELEGATED_SCOPES = [
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/calendar.app.created",
  "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
  "https://www.googleapis.com/auth/calendar.events.readonly",
];

const DIRECTIONS = [
  ["two_way", "Both ways", "Bookings go to Google; workers' own Google events come back as busy time."],
  ["push_only", "Platform to Google only", "Bookings go to Google; nothing is read from Google."],
  ["pull_only", "Google to platform only", "Google events come back as busy time; nothing is written to Google."],
];

function formOf(settings) {
  return {
    company_name: settings.company_name || "",
    enabled: Boolean(settings.enabled),
    provider: settings.provider || "platform",
    client_id: settings.client_id || "",
    client_secret: "",
    workspace_domain: settings.workspace_domain || "",
    service_account_key: "",
    sync_direction: settings.sync_direction || "two_way",
    admin_email: settings.admin_email || "",
  };
}

/** What PUT /settings gets: what the form holds, secrets only when typed. */
function bodyOf(form) {
  const body = {
    enabled: form.enabled,
    provider: form.provider,
    sync_direction: form.sync_direction,
  };
  for (const name of ["company_name", "admin_email"]) {
    if (form[name].trim()) body[name] = form[name].trim();
  }
  if (form.provider === "private") {
    for (const name of ["client_id", "workspace_domain"]) {
      if (form[name].trim()) body[name] = form[name].trim();
    }
    if (form.client_secret) body.client_secret = form.client_secret;
    if (form.service_account_key.trim()) body.service_account_key = form.service_account_key.trim();
  }
  return body;
}

export function IntegrationPage({ settings, onSettings }) {
  const [form, setForm] = useState(() => formOf(settings || {}));
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = (name) => (event) => {
    const value = event.target.type === "checkbox" ? event.target.checked : event.target.value;
    setForm({ ...form, [name]: value });
    if (errors[name]) setErrors({ ...errors, [name]: null });
  };
  const text = (name, label, { hint, type = "text", optional, ...rest } = {}) => html`<${Field}
    id=${name}
    label=${label}
    hint=${hint}
    error=${errors[name]}
    optional=${optional}
  >
    <input
      ...${described(name, hint, errors[name])}
      name=${name}
      type=${type}
      value=${form[name]}
      onInput=${set(name)}
      ...${rest}
    />
  <//>`;

  const save = async (event) => {
    event.preventDefault();
    setSaving(true);
    setErrors({});
    setFormError(null);
    try {
      const saved = await api("PUT", "/settings", { body: bodyOf(form) });
      const { authorization_emails_queued: emailed, ...current } = saved;
      onSettings(current);
      setForm(formOf(current));
      const invited = emailed ? ` ${emailed} worker${emailed === 1 ? " was" : "s were"} emailed an invitation.` : "";
      announce(`Settings saved. Sync is ${current.enabled ? "on" : "off"}.${invited}`);
    } catch (error) {
      const field = fieldOf(error);
      if (field && field in form) {
        setErrors({ [field]: error.message });
        const input = document.getElementById(field);
        if (input) input.focus();
      } else {
        setFormError(error.message);
      }
      announce(`Not saved: ${error.message}`, "error");
    } finally {
      setSaving(false);
    }
  };

  const redirectUri = (settings && settings.redirect_uri) || "";
  const copyRedirect = async () => {
    announce(
      (await copyText(redirectUri))
        ? "Redirect URI copied."
        : "Copy the redirect URI from its field (select it, then copy).",
    );
  };
  const privateClient = form.provider === "private";

  return html`<section class="page">
    <header class="page-header">
      <h1 tabindex="-1">Integration</h1>
      <p class="lede">
        Turn Google Calendar sync on for your company and choose how workers connect.
      </p>
    </header>
    <form class="settings" onSubmit=${save} novalidate>
      ${formError && html`<p class="form-error" role="alert">${formError}</p>`}
      <div class="card">
        <div class="switch-row">
          <input
            type="checkbox"
            id="enabled"
            name="enabled"
            class="switch"
            checked=${form.enabled}
            onChange=${set("enabled")}
            aria-describedby="enabled-hint"
          />
          <div>
            <label for="enabled" class="switch-label">Sync with Google Calendar</label>
            <p class="hint" id="enabled-hint">
              Turning it on emails every worker who is not connected yet a link to connect
              their Google Calendar.
            </p>
          </div>
        </div>
        ${text("company_name", "Company name", {
          hint: "Names the calendar we create in each worker's Google account.",
          autocomplete: "organization",
        })}
        ${text("admin_email", "Admin email", {
          type: "email",
          hint: "Hears when a worker must reconnect.",
          autocomplete: "email",
        })}
      </div>

      <fieldset class="card">
        <legend>Google client</legend>
        <label class="choice">
          <input type="radio" name="provider" value="platform" checked=${!privateClient} onChange=${set("provider")} />
          <span><strong>Use the platform's Google client</strong><br />
          <span class="hint">Nothing to set up: each worker signs in with any Google account.</span></span>
        </label>
        <label class="choice">
          <input type="radio" name="provider" value="private" checked=${privateClient} onChange=${set("provider")} />
          <span><strong>Use our own Google Cloud client</strong><br />
          <span class="hint">For a Google Workspace: only accounts of your domain can connect.</span></span>
        </label>
        ${privateClient && html`<div class="private-client">
          <${PrivateSteps} redirectUri=${redirectUri} onCopy=${copyRedirect} />
          ${text("client_id", "Client ID", { autocomplete: "off", spellcheck: false })}
          ${text("client_secret", "Client secret", {
            type: "password",
            autocomplete: "new-password",
            hint: settings && settings.has_client_secret
              ? "A secret is saved. Leave this empty to keep it."
              : "Shown once by Google when you create the client.",
          })}
          ${text("workspace_domain", "Workspace domain", {
            hint: "For example acme.com. Accounts outside it are refused.",
            autocomplete: "off",
            spellcheck: false,
          })}
          <${Field}
            id="service_account_key"
            label="Service-account key (JSON)"
            optional=${true}
            hint=${(settings && settings.has_service_account_key
              ? "A key is saved. Leave this empty to keep it. "
              : "") +
            "With domain-wide delegation, workers of your domain are connected without each signing in."}
            error=${errors.service_account_key}
          >
            <textarea
              ...${described(
                "service_account_key",
                true,
                errors.service_account_key,
              )}
              name="service_account_key"
              rows="4"
              spellcheck="false"
              value=${form.service_account_key}
              onInput=${set("service_account_key")}
            ></textarea>
          <//>
        </div>`}
      </fieldset>

      <fieldset class="card">
        <legend>Sync direction</legend>
        ${DIRECTIONS.map(
          ([value, label, hint]) => html`<label class="choice" key=${value}>
            <input
              type="radio"
              name="sync_direction"
              value=${value}
              checked=${form.sync_direction === value}
              onChange=${set("sync_direction")}
            />
            <span><strong>${label}</strong><br /><span class="hint">${hint}</span></span>
          </label>`,
        )}
        ${errors.sync_direction && html`<p class="field-error">${errors.sync_direction}</p>`}
      </fieldset>

      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${saving}>
          ${saving ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  </section>`;
}

function PrivateSteps({ redirectUri, onCopy }) {
  return html`<div class="steps">
    <h2>Set up your own client</h2>
    <ol>
      <li>
        In the Google Cloud console of your company's project, enable
        the <strong>Google Calendar API</strong>.
      </li>
      <li>
        Under <strong>Google Auth Platform</strong>, give the app a name and a support email,
        and set its audience to <strong>Internal</strong>, so that only people of your
        Workspace can use it.
      </li>
      <li>
        Create a client of type <strong>Web application</strong> and add the address below
        as its only authorized redirect URI.
      </li>
      <li>Paste the client ID and secret here with your Workspace domain, then save.</li>
      <li>
        Optional: to connect workers without each one signing in, create a service account
        with a JSON key, allow its unique ID domain-wide delegation in the Google Admin
        console for the scopes below, and paste the key here.
      </li>
    </ol>
    <div class="field">
      <label for="redirect_uri">Authorized redirect URI</label>
      <div class="copy-row">
        <input id="redirect_uri" type="text" readonly value=${redirectUri} />
        <button type="button" class="button" onClick=${onCopy}>Copy</button>
      </div>
    </div>
    <details class="scopes">
      <summary>Scopes for domain-wide delegation</summary>
      <code>${DELEGATED_SCOPES.join(",")}</code>
    </details>
  </div>`;
}
