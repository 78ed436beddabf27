"""The admin's invitation email: preview, edit, send; the worker's own "Sync calendar" link."""

from tests.browser import follow, query_of


def test_preview_names_the_company_what_is_shared_and_the_link(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    response = company.call("GET", "/workers/w1/authorization-email")
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["to"] == "ann@example.com"
    assert "Acme Plumbing" in preview["subject"]
    assert "Hi Ann" in preview["body"]
    assert company.stack.url + "/connect?invite=" in preview["body"]
    assert "list of your calendars" in preview["body"]
    assert company.connection("w1")["state"] == "not_connected"  # a preview invites nobody


def test_edited_email_is_sent_as_written_and_keeps_a_working_link(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    response = company.call(
        "POST",
        "/workers/w1/authorization-email",
        json={"subject": "Please connect today", "body": "Ann, please connect before Monday."},
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"sent_to": "ann@example.com"}
    assert company.connection("w1")["state"] == "invited"
    (message,) = company.stack.mail.mailbox.wait_for(1)
    assert message.subject == "Please connect today"
    assert message.text.startswith("Ann, please connect before Monday.")
    assert "<a href=" in message.html
    link = message.text.split("Connect your Google Calendar: ")[1].split()[0]
    assert follow(link).startswith(company.stack.google.base_url + "/o/oauth2/v2/auth")


def test_unedited_send_uses_the_preview(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    preview = company.call("GET", "/workers/w1/authorization-email").json()
    assert company.call("POST", "/workers/w1/authorization-email").status_code == 202
    (message,) = company.stack.mail.mailbox.wait_for(1)
    assert message.subject == preview["subject"]
    assert message.text.split("/connect?invite=")[0] == preview["body"].split("/connect?invite=")[0]


def test_email_is_for_admins_and_bad_edits_name_the_field(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    as_worker = company.call(
        "POST", "/workers/w1/authorization-email", role="fieldworker", worker="w1"
    )
    assert as_worker.status_code == 403
    bad = company.call("POST", "/workers/w1/authorization-email", json={"subject": ""})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "subject"
    unknown = company.call("GET", "/workers/nobody/authorization-email")
    assert unknown.status_code == 404


def test_fieldworker_gets_its_own_link_only(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    mine = company.call("POST", "/workers/w1/authorization-url", role="fieldworker", worker="w1")
    assert mine.status_code == 200
    assert query_of(follow(mine.json()["url"]))["login_hint"] == "ann@example.com"
    theirs = company.call("POST", "/workers/w2/authorization-url", role="fieldworker", worker="w1")
    assert theirs.status_code == 403
