"""Alerts that reach people: a real SMTP server (STARTTLS) receives the leader's e-mail, a
real webhook receiver checks the signature, a dead SMTP server costs the page nothing,
failed sends retry with backoff on the moved clock, an outage is told once."""

from __future__ import annotations

import dataclasses
import email
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from loa.clock import FrozenClock
from loa.db import transaction
from loa.notify.jobs import notify_job
from loa.notify.models import Channel, DeliveryStatus, NotifyDelivery, NotifyEvent
from loa.playlists.models import ProgrammeStatus
from loa.services import Services
from loa.stations.models import Player
from tests.helpers import notify
from tests.helpers.accounts import logged_in
from tests.helpers.notify import SECRET, Mailbox, Receiver, programme
from tests.helpers.web import csrf

office, smtp_server, webhook = notify.office, notify.smtp_server, notify.webhook  # fixtures


def configure(services: Services, **changes: Any) -> None:
    """The server's alert settings, as LOA_SMTP_URL etc. would give them."""
    services.settings = dataclasses.replace(services.settings, **changes)


def choose(browser: Any, email_address: str = "", *channels: str, **quiet: str) -> Any:
    """Set one's alert settings on the profile page, as a person does."""
    token = csrf(browser.get("/account/alerts").data)
    return browser.post("/account/alerts", data={
        "csrf_token": token, "email": email_address, "channel": list(channels),
        "quiet_from": quiet.get("start", ""), "quiet_until": quiet.get("end", ""),
    })


def new_rendered(services: Services) -> int:
    with transaction(services.sessions) as s:
        return programme(s, "11560", "2027-04", "Tuyên truyền tháng 4", ProgrammeStatus.rendered,
                         duration_ms=700_000).id


def submit(browser: Any, programme_id: int) -> Any:
    token = csrf(browser.get(f"/programmes/{programme_id}").data)
    return browser.post(f"/programmes/{programme_id}/submit", data={"csrf_token": token})


def deliveries(services: Services, channel: Channel, kind: str) -> list[NotifyDelivery]:
    """The deliveries of one kind of event by one channel, oldest first."""
    with services.sessions() as s:
        return list(s.scalars(
            select(NotifyDelivery).join(NotifyEvent)
            .where(NotifyDelivery.channel == channel, NotifyEvent.kind == kind)
            .order_by(NotifyDelivery.id)))


def received(webhook: Receiver, kind: str) -> list[tuple[dict[str, Any], str, bool]]:
    return [r for r in webhook.received if r[0]["event"] == kind]


def heard(app: Flask, token: str) -> None:
    """The player reports in (an empty batch of events: its heartbeat, nothing to log)."""
    answer = app.test_client().post("/api/v1/player/events", json={"events": []},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def body_of(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw)
    subject = str(make_header(decode_header(message["Subject"])))
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return subject, part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


@pytest.mark.both_databases
def test_a_submitted_programme_reaches_the_leader_by_email_over_starttls(
    app: Flask, services: Services, office: dict[str, int], smtp_server: tuple[str, Mailbox]
) -> None:
    url, box = smtp_server
    configure(services, smtp_url=url, public_url="https://loa.haiphong.gov.vn")
    leader = logged_in(app, "lanhdao")
    assert choose(leader, "lanhdao@thuynguyen.gov.vn", "email").status_code == 302
    target = new_rendered(services)
    assert submit(logged_in(app, "xa"), target).status_code == 302
    assert not box.messages  # the request only wrote a row
    notify_job(services)
    [(raw, over_tls, to)] = box.messages
    assert over_tls and to == ["lanhdao@thuynguyen.gov.vn"]
    subject, text = body_of(raw)
    assert subject == "Chương trình chờ duyệt: Tuyên truyền tháng 4"
    assert "xa đã gửi chương trình \"Tuyên truyền tháng 4\" (tháng 04/2027" in text
    assert f"https://loa.haiphong.gov.vn/programmes/{target}" in text
    [row] = deliveries(services, Channel.email, "programme.submitted")
    assert row.status is DeliveryStatus.sent and row.attempts == 1
    log = leader.get("/account/alerts").get_data(as_text=True)
    assert "Đã gửi" in log and "Chương trình chờ duyệt: Tuyên truyền tháng 4" in log


def test_the_webhook_receives_signed_json_and_retries_with_backoff(
    app: Flask, services: Services, office: dict[str, int], webhook: Receiver,
    clock: FrozenClock,
) -> None:
    configure(services, webhook_url=webhook.url, webhook_secret=SECRET)
    assert choose(logged_in(app, "xa"), "", "webhook").status_code == 302
    leader = logged_in(app, "lanhdao")
    token = csrf(leader.get(f"/programmes/{office['waiting']}").data)
    leader.post(f"/programmes/{office['waiting']}/send-back",
                data={"csrf_token": token, "comment": "Thêm lịch tiêm chủng"})
    webhook.status = 503  # the province's bridge is down
    notify_job(services)
    [row] = deliveries(services, Channel.webhook, "programme.sent_back")
    assert row.status is DeliveryStatus.pending and row.attempts == 1
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
    webhook.status = 200
    clock.advance(seconds=30)
    notify_job(services)  # not yet: the backoff holds it
    assert len(received(webhook, "programme.sent_back")) == 1
    clock.advance(seconds=30)
    notify_job(services)
    assert len(received(webhook, "programme.sent_back")) == 2
    payload, signature, valid = received(webhook, "programme.sent_back")[-1]
    assert valid and signature.startswith("sha256=")
    assert payload["event"] == "programme.sent_back" and payload["user"]["username"] == "xa"
    assert "Lý do: Thêm lịch tiêm chủng" in payload["body"]
    assert payload["link"].endswith(f"/programmes/{office['waiting']}")
    [row] = deliveries(services, Channel.webhook, "programme.sent_back")
    assert row.status is DeliveryStatus.sent and row.attempts == 2


def test_a_wrong_secret_is_caught_by_the_receiver(
    app: Flask, services: Services, office: dict[str, int], webhook: Receiver
) -> None:
    configure(services, webhook_url=webhook.url, webhook_secret="mot-bi-mat-khac-hoan-toan")
    choose(logged_in(app, "xa"), "", "webhook")
    leader = logged_in(app, "lanhdao")
    token = csrf(leader.get(f"/programmes/{office['waiting']}").data)
    leader.post(f"/programmes/{office['waiting']}/send-back",
                data={"csrf_token": token, "comment": "Sai chính tả"})
    notify_job(services)
    [(_, _, valid)] = received(webhook, "programme.sent_back")
    assert not valid


@pytest.fixture
def dead_smtp() -> Iterator[tuple[str, socket.socket]]:
    """A mail relay that takes connections and never says a word (hung): its URL (a 3-s
    timeout) and its listening socket, to see whether anyone connected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    yield f"smtp://127.0.0.1:{listener.getsockname()[1]}?cto=3", listener
    listener.close()


def connected(listener: socket.socket) -> bool:
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_a_dead_smtp_server_neither_slows_nor_fails_the_page(
    app: Flask, services: Services, office: dict[str, int],
    dead_smtp: tuple[str, socket.socket],
) -> None:
    url, listener = dead_smtp
    configure(services, smtp_url=url)
    choose(logged_in(app, "lanhdao"), "lanhdao@thuynguyen.gov.vn", "email")
    operator, target = logged_in(app, "xa"), new_rendered(services)
    started = time.monotonic()
    answer = submit(operator, target)
    took = time.monotonic() - started
    assert answer.status_code == 302
    assert "Đã gửi lãnh đạo duyệt" in operator.get(answer.location).get_data(as_text=True)
    assert not connected(listener) and took < 3  # the page never met the relay
    started = time.monotonic()
    notify_job(services)  # the job meets it, waits out the timeout, keeps the row
    assert connected(listener) and time.monotonic() - started >= 3
    [row] = deliveries(services, Channel.email, "programme.submitted")
    assert row.status is DeliveryStatus.pending and row.attempts == 1 and row.last_error


def test_failed_sends_back_off_then_give_up(
    app: Flask, services: Services, office: dict[str, int], webhook: Receiver,
    clock: FrozenClock,
) -> None:
    configure(services, webhook_url=webhook.url, webhook_secret=SECRET)
    choose(logged_in(app, "lanhdao"), "", "webhook")
    webhook.status = 500
    submit(logged_in(app, "xa"), new_rendered(services))
    notify_job(services)
    waits = []
    for _ in range(5):
        [row] = deliveries(services, Channel.webhook, "programme.submitted")
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        notify_job(services)  # a second early: nothing goes
        clock.advance(seconds=1)
        notify_job(services)
    assert waits == [timedelta(minutes=m) for m in (1, 4, 16, 64, 256)]
    [row] = deliveries(services, Channel.webhook, "programme.submitted")
    assert row.status is DeliveryStatus.failed and row.attempts == 6
    assert len(received(webhook, "programme.submitted")) == 6
    clock.advance(hours=24)
    notify_job(services)
    assert len(received(webhook, "programme.submitted")) == 6


def offline_events(services: Services) -> list[str]:
    with services.sessions() as s:
        return list(s.scalars(select(NotifyEvent.kind).where(
            NotifyEvent.kind.in_(("player.offline", "player.online"))).order_by(NotifyEvent.id)))


@pytest.mark.both_databases  # the once-per-outage keys are the point
def test_a_player_offline_is_told_once_per_outage_and_when_back(
    app: Flask, services: Services, office: dict[str, int], clock: FrozenClock
) -> None:
    from loa.stations.players import rotate_token

    with transaction(services.sessions) as s:
        player = s.get_one(Player, office["seen_player"])
        token = rotate_token(s, player.id)
        player.last_seen = None
    heard(app, token)  # heard now
    clock.advance(minutes=29)
    notify_job(services)
    assert offline_events(services) == []  # LOA_OFFLINE_ALERT_MINUTES is 30
    clock.advance(minutes=2)
    notify_job(services)
    clock.advance(minutes=30)
    notify_job(services)
    assert offline_events(services) == ["player.offline"]  # once, however long it lasts
    heard(app, token)
    notify_job(services)
    notify_job(services)
    assert offline_events(services) == ["player.offline", "player.online"]
    clock.advance(minutes=31)
    notify_job(services)
    assert offline_events(services) == ["player.offline", "player.online", "player.offline"]
    page = logged_in(app, "quantri").get("/").get_data(as_text=True)
    assert "Thiết bị mất kết nối: Cụm loa chợ" in page  # the admin's inbox lists the alerts


def test_quiet_hours_hold_an_alert_but_not_an_emergency(
    app: Flask, services: Services, office: dict[str, int], smtp_server: tuple[str, Mailbox],
    clock: FrozenClock,
) -> None:
    url, box = smtp_server
    configure(services, smtp_url=url)
    clock.advance(hours=15)  # 23:00 in Vietnam
    choose(logged_in(app, "lanhdao"), "lanhdao@thuynguyen.gov.vn", "email", start="22:00",
           end="06:00")
    submit(logged_in(app, "xa"), new_rendered(services))
    notify_job(services)
    assert not box.messages
    [row] = deliveries(services, Channel.email, "programme.submitted")
    assert row.attempts == 0 and row.next_attempt_at is not None
    assert row.next_attempt_at.isoformat() == "2026-12-01T23:00:00+00:00"  # 06:00 local
    from tests.helpers.bulletins import send

    with transaction(services.sessions) as s:
        urgent = send(services, s, "11560", title="Bão số 3")
        urgent.created_by = "lanhdao"
    clock.advance(minutes=6)
    notify_job(services)
    [(raw, _, _)] = box.messages
    assert body_of(raw)[0].startswith("KHẨN: thông báo chưa phát")
    clock.set(row.next_attempt_at)
    notify_job(services)
    assert len(box.messages) == 2


def test_notify_test_sends_through_every_channel_and_says_what_happened(
    env: dict[str, str], loa: Any, smtp_server: tuple[str, Mailbox], webhook: Receiver,
    services: Services, office: dict[str, int],
) -> None:
    from loa.notify.profiles import set_profile
    from tests.conftest import Loa

    url, box = smtp_server
    with transaction(services.sessions) as s:
        from loa.web.users import find_user

        set_profile(s, find_user(s, "xa").id, "xa@thuynguyen.gov.vn", ["email", "webhook"], "",
                    "")
    run = Loa({**env, "LOA_SMTP_URL": url, "LOA_WEBHOOK_URL": webhook.url,
               "LOA_WEBHOOK_SECRET": SECRET})
    out = run("notify", "test", "--user", "xa")
    assert "email: đã gửi (sent)" in out and "webhook: đã gửi (sent)" in out
    assert "inbox: đã gửi" in out
    assert body_of(box.messages[0][0])[0] == "Loa: thử gửi cảnh báo"
    assert webhook.received[0][2]
    plain = Loa(env)  # no SMTP, no webhook on this server
    out = plain("notify", "test", "--user", "xa", ok=False)
    assert "email: chưa cấu hình (not set up)" in out
    assert "Lỗi" in plain("notify", "test", "--user", "khongco", ok=False)


def test_a_dead_webhook_costs_one_attempt_a_run_not_one_per_alert(
    app: Flask, services: Services, office: dict[str, int], webhook: Receiver,
    clock: FrozenClock,
) -> None:
    configure(services, webhook_url=webhook.url, webhook_secret=SECRET)
    choose(logged_in(app, "xa"), "", "webhook")
    choose(logged_in(app, "lanhdao"), "", "webhook")
    submit(logged_in(app, "xa"), new_rendered(services))
    webhook.status = 500
    notify_job(services)  # the submission (lanhdao) and TN's lost airing (xa) are due
    assert len(webhook.received) == 1
    with services.sessions() as s:
        rows = s.scalars(select(NotifyDelivery).where(
            NotifyDelivery.channel == Channel.webhook)).all()
        assert len(rows) == 2 and sorted(r.attempts for r in rows) == [0, 1]
    webhook.status = 200
    clock.advance(minutes=1)
    notify_job(services)
    assert len(webhook.received) == 3 and all(valid for *_, valid in webhook.received)
