"""R20: SMTP settings come from the environment, as a URL or in parts; none means the embedded
default, where emails stay in the outbox."""

from __future__ import annotations

import pytest

from salescoord.settings import SmtpSettings, _smtp_from_env

ENVIRONMENTS = [
    ("R20-no-smtp-embedded-default", {}, None),
    (
        "R20-url-with-login-and-starttls",
        {"SMTP_URL": "smtp://mailer:p%40ss@mail.example.com:587?starttls=1"},
        SmtpSettings("mail.example.com", 587, "mailer", "p@ss", "starttls"),
    ),
    (
        "R20-smtps-url-is-implicit-tls-on-465",
        {"SMTP_URL": "smtps://mailer:secret@mail.example.com"},
        SmtpSettings("mail.example.com", 465, "mailer", "secret", "tls"),
    ),
    ("R20-plain-url", {"SMTP_URL": "smtp://127.0.0.1:2525"}, SmtpSettings("127.0.0.1", 2525)),
    (
        "R20-parts-and-sender",
        {
            "SMTP_HOST": "relay.example.com",
            "SMTP_PORT": "2587",
            "SMTP_USER": "u",
            "SMTP_PASSWORD": "p",
            "SMTP_TLS": "starttls",
            "SMTP_FROM": "Sales <sales@example.com>",
        },
        SmtpSettings("relay.example.com", 2587, "u", "p", "starttls", sender="Sales <sales@example.com>"),
    ),
]


def test_R20_smtp_settings_from_the_environment(monkeypatch):
    for label, environment, expected in ENVIRONMENTS:
        for name in (
            "SMTP_URL",
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_USER",
            "SMTP_PASSWORD",
            "SMTP_TLS",
            "SMTP_FROM",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        assert _smtp_from_env() == expected, label


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_R20_a_malformed_smtp_url_is_refused_at_start(url):
    with pytest.raises(ValueError):
        SmtpSettings.from_url(url)
