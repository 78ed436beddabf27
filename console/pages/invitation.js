// The invitation email: previewed (GET /workers/{id}/authorization-email), edited, then sent
// (POST the same address). Sending puts the worker's own link where the sample link is.

import { html, useEffect, useState } from "../vendor/standalone.module.js";
import { api, encode } from "../api.js";
import { Dialog } from "../dialog.js";
import { Field, described, fieldOf } from "../forms.js";
import { announce } from "../status.js";

export function InvitationDialog({ worker, onClose }) {
  const [email, setEmail] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [errors, setErrors] = useState({});
  const [sending, setSending] = useState(false);
  const path = `/workers/${encode(worker.worker_id)}/authorization-email`;

  useEffect(() => {
    api("GET", path).then(setEmail, (error) => setLoadError(error.message));
  }, []);

  const send = async (event) => {
    event.preventDefault();
    setSending(true);
    setErrors({});
    try {
      const answer = await api("POST", path, {
        body: { subject: email.subject, body: email.body },
      });
      announce(`Invitation sent to ${answer.sent_to}.`);
      onClose(true);
    } catch (error) {
      const field = fieldOf(error);
      setErrors({ [field === "subject" || field === "body" ? field : "form"]: error.message });
      setSending(false);
    }
  };
  const edit = (name) => (event) => setEmail({ ...email, [name]: event.target.value });
  const name = worker.name || worker.worker_id;

  return html`<${Dialog} title=${`Invite ${name} to connect`} onClose=${() => onClose(false)} wide>
    ${loadError && html`<p class="form-error" role="alert">${loadError}</p>`}
    ${!email && !loadError && html`<p class="muted">Preparing the email…</p>`}
    ${email &&
    html`<form class="invitation" onSubmit=${send}>
      <p class="hint dialog-lede">
        The link in the text is a sample: the email carries ${name}'s own link in its place
        (or at the end, if you remove it).
      </p>
      <div class="field">
        <label for="invite-to">To</label>
        <input id="invite-to" type="email" value=${email.to} readonly />
      </div>
      <${Field} id="invite-subject" label="Subject" error=${errors.subject}>
        <input
          ...${described("invite-subject", false, errors.subject)}
          type="text"
          value=${email.subject}
          onInput=${edit("subject")}
          required
        />
      <//>
      <${Field} id="invite-body" label="Message" error=${errors.body}>
        <textarea
          ...${described("invite-body", false, errors.body)}
          rows="12"
          value=${email.body}
          onInput=${edit("body")}
          required
        ></textarea>
      <//>
      ${errors.form && html`<p class="form-error" role="alert">${errors.form}</p>`}
      <div class="dialog-actions">
        <button type="button" class="button" onClick=${() => onClose(false)}>Cancel</button>
        <button type="submit" class="button button-primary" disabled=${sending}>
          ${sending ? "Sending…" : "Send invitation"}
        </button>
      </div>
    </form>`}
  <//>`;
}
