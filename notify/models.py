"""What the notification room keeps: each person's channels, the events raised, and one
delivery row per person and channel (the delivery log)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base, str_enum


class Channel(StrEnum):
    inbox = "inbox"  # the user's page: always on
    email = "email"
    webhook = "webhook"


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (or for quiet hours to end)
    sent = "sent"
    failed = "failed"  # given up after the last retry
    skipped = "skipped"  # the channel is not set up on this server (no LOA_SMTP_URL, …)


class NotifyProfile(Base):
    """One user's alert settings; a user without a row gets the inbox only."""

    __tablename__ = "notify_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # Channels beside the inbox, comma separated ("email,webhook").
    channels: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Local (Vietnam) "HH:MM"; a window may run over midnight (22:00 to 06:00).
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))


class NotifyEvent(Base):
    """Something that happened and reaches people, said once in Vietnamese.

    ``key`` is unique: what makes an alert once per outage, once a day, once per airing.
    """

    __tablename__ = "notify_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))  # a path on this site: "/programmes/7"
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(index=True)


class NotifyDelivery(Base):
    """One event to one user by one channel, and what became of it."""

    __tablename__ = "notify_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notify_event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    event: Mapped[NotifyEvent] = relationship()
