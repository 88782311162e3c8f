"""The channels an alert leaves by: e-mail through Apprise, the webhook signed by Loa.

E-mail: LOA_SMTP_URL, ``smtp://user:password@host:587?from=loa@tinh.gov.vn``, becomes
Apprise's ``mailtos://…?mode=starttls``; further Apprise options in its query pass through
(``mode=ssl`` for port 465, ``cto=`` a timeout in seconds).

Webhook: a JSON POST to LOA_WEBHOOK_URL whose exact bytes are signed with HMAC-SHA256 under
LOA_WEBHOOK_SECRET, in ``X-Loa-Signature: sha256=<hex>``. Apprise's ``json://`` builds its
own body and adds only fixed headers, so it cannot sign what it sends: the webhook goes
through ``requests`` (DESIGN §9).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import requests

from loa.notify.models import Channel
from loa.settings import Settings

SIGNATURE_HEADER = "X-Loa-Signature"
TIMEOUT_S = 10  # a dead server fails an attempt in this long, in the job, never in a page


class DeliveryError(Exception):
    """The channel refused or could not be reached: try again later."""


class ChannelNotSet(DeliveryError):
    """This server has no such channel set up (no LOA_SMTP_URL, no LOA_WEBHOOK_URL)."""


@dataclass(frozen=True)
class Parcel:
    """One delivery as a channel needs it: plain data, read before any network call."""

    delivery_id: int
    channel: Channel
    kind: str
    subject: str
    body: str
    link: str  # absolute
    urgent: bool
    username: str
    email: str | None
    created_at: str


def _mail_domain(host: str) -> str:
    """The domain of the default sender: the relay's name, or a placeholder for an address
    (Apprise refuses loa@127.0.0.1)."""
    is_name = "." in host and not host.replace(".", "").isdigit()
    return host if is_name else "localhost.localdomain"


def mail_url(smtp_url: str, to: str) -> str:
    """The Apprise URL that sends to ``to`` through LOA_SMTP_URL, STARTTLS unless told.

    Cases: smtp://u:p@mail.tinh.gov.vn:587?from=loa@tinh.gov.vn →
    mailtos://u:p@mail.tinh.gov.vn:587/?from=…&mode=starttls&smtp=mail.tinh.gov.vn&to=…;
    no port → 587; no from → loa@<host> (loa@localhost.localdomain for an IP address).
    """
    parts = urlsplit(smtp_url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ChannelNotSet("LOA_SMTP_URL phải có dạng smtp://người-dùng:mật-khẩu@máy:587 "
                            "(must look like smtp://user:password@host:587)")
    query = dict(parse_qsl(parts.query))
    query.setdefault("mode", "starttls")
    query.setdefault("from", f"loa@{_mail_domain(parts.hostname)}")
    query.setdefault("cto", str(TIMEOUT_S))
    query["smtp"], query["to"] = parts.hostname, to
    login = ""
    if parts.username:
        login = quote(unquote(parts.username), safe="")
        if parts.password:
            login += ":" + quote(unquote(parts.password), safe="")
        login += "@"
    return f"mailtos://{login}{parts.hostname}:{parts.port or 587}/?{urlencode(query)}"


def send_email(parcel: Parcel, settings: Settings) -> None:
    """Send the alert as a plain-text e-mail; raise DeliveryError with what Apprise said."""
    import apprise

    if not settings.smtp_url:
        raise ChannelNotSet("Chưa cấu hình LOA_SMTP_URL (no SMTP server set)")
    if not parcel.email:
        raise ChannelNotSet("Người dùng chưa có địa chỉ e-mail (no address)")
    sender = apprise.Apprise()
    if not sender.add(mail_url(settings.smtp_url, parcel.email)):
        raise ChannelNotSet("LOA_SMTP_URL không dùng được (Apprise refused the URL)")
    text = f"{parcel.body}\n\nXem chi tiết: {parcel.link}\n\n-- \nLoa, phát thanh cơ sở"
    with apprise.LogCapture(level=logging.WARNING) as said:
        ok = sender.notify(title=parcel.subject, body=text,
                           body_format=apprise.NotifyFormat.TEXT)
    if not ok:
        raise DeliveryError(said.getvalue().strip()[-500:] or "SMTP refused the message")


def webhook_body(parcel: Parcel) -> bytes:
    """The JSON the webhook receives, as the exact bytes that are signed."""
    return json.dumps({
        "id": parcel.delivery_id, "event": parcel.kind, "subject": parcel.subject,
        "body": parcel.body, "link": parcel.link, "urgent": parcel.urgent,
        "user": {"username": parcel.username, "email": parcel.email},
        "created_at": parcel.created_at,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_webhook(parcel: Parcel, settings: Settings) -> None:
    """POST the signed JSON; anything but a 2xx is a failed attempt."""
    if not settings.webhook_url or not settings.webhook_secret:
        raise ChannelNotSet("Chưa cấu hình LOA_WEBHOOK_URL (no webhook set)")
    body = webhook_body(parcel)
    headers = {"Content-Type": "application/json; charset=utf-8",
               SIGNATURE_HEADER: signature(settings.webhook_secret, body),
               "X-Loa-Delivery": str(parcel.delivery_id)}
    try:
        answer = requests.post(settings.webhook_url, data=body, headers=headers,
                               timeout=TIMEOUT_S)
    except requests.RequestException as err:
        raise DeliveryError(f"webhook unreachable: {err}") from err
    if not answer.ok:
        raise DeliveryError(f"webhook answered {answer.status_code}")


SENDERS = {Channel.email: send_email, Channel.webhook: send_webhook}
