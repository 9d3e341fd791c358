"""Delivery channels beyond the app, behind one interface: e-mail over SMTP, and an HTTP webhook
for an SMS or WeChat gateway. Each is on only when its settings are given."""

import hashlib
import hmac
import json
import smtplib
import urllib.request
from email.message import EmailMessage
from types import SimpleNamespace

from flask import current_app


class Channel:
    """Sends one outbox message; raises on failure so the outbox retries it."""

    name = ""

    def address_for(self, person) -> str | None:
        """Where the person is reached on this channel; None if nowhere or they chose not."""
        raise NotImplementedError

    def send(self, message) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def __init__(self, config):
        self.config = config

    def address_for(self, person):
        return (person.email or None) if person.notify_by_email else None

    def send(self, message):
        mail = EmailMessage()
        mail["From"] = self.config["SMTP_FROM"]
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"], timeout=15) as smtp:
            if self.config["SMTP_STARTTLS"]:
                smtp.starttls()
            if self.config["SMTP_USER"]:
                smtp.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
            smtp.send_message(mail)


class WebhookChannel(Channel):
    """POSTs JSON to a gateway that texts the person's phone; signed with HMAC-SHA256."""

    name = "webhook"

    def __init__(self, config):
        self.config = config

    def address_for(self, person):
        return person.phone if person.notify_by_text else None

    def send(self, message):
        payload = json.dumps(
            {"phone": message.address, "subject": message.subject, "text": message.body},
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(
            self.config["WEBHOOK_URL"],
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        if self.config["WEBHOOK_SECRET"]:
            signature = hmac.new(self.config["WEBHOOK_SECRET"].encode(), payload, hashlib.sha256)
            request.add_header("X-Portal-Signature", "sha256=" + signature.hexdigest())
        with urllib.request.urlopen(request, timeout=15) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered {response.status}")


def configured(config=None) -> list[Channel]:
    config = config or current_app.config
    found: list[Channel] = []
    if config.get("SMTP_HOST"):
        found.append(EmailChannel(config))
    if config.get("WEBHOOK_URL"):
        found.append(WebhookChannel(config))
    return found


def by_name(name: str) -> Channel | None:
    return next((c for c in configured() if c.name == name), None)


class CannotSend(Exception):
    """Neither the channel nor, in a local run, the log is there to carry a message."""


def send_now(name: str, address: str, subject: str, body: str) -> None:
    """Sends one message at once, outside the outbox: a one-time code or a confirmation link,
    which is no use late and must never wait in a table as plain text. Without the channel, a
    local run (development, tests) writes the message to the log instead, where the developer
    reads the code; a deployment raises CannotSend."""
    channel = by_name(name)
    if channel is not None:
        channel.send(SimpleNamespace(address=address, subject=subject, body=body))
    elif current_app.config["MESSAGES_TO_LOG"]:
        current_app.logger.warning(
            "No %s channel is configured; the message for %s is written here instead: %s",
            name,
            address,
            body,
        )
    else:
        raise CannotSend(name)
