"""CAP 1.2 alerts taken in (each one once per unit) and the feeds polled for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base
from loa.playlists.models import Bulletin
from loa.stations.models import AdminUnit

DEFAULT_FEED_EVERY_S = 300
MIN_FEED_EVERY_S = 30


class CapFeed(Base):
    """A CAP source a unit polls: an Atom/RSS index of CAP alerts, or one CAP document."""

    __tablename__ = "cap_feed"
    __table_args__ = (UniqueConstraint("unit_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    every_s: Mapped[int] = mapped_column(default=DEFAULT_FEED_EVERY_S)
    # The unit's choice: its Extreme alerts from this feed are sent without waiting for a
    # person (all others always wait). Off unless the unit asks.
    auto_extreme: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    # The last poll's trouble in "Vietnamese (English)" (network, XML); None once it worked.
    last_error: Mapped[str | None] = mapped_column(Text)
    imported: Mapped[int] = mapped_column(default=0, server_default="0")

    unit: Mapped[AdminUnit] = relationship()


class CapAlert(Base):
    """One CAP alert as a unit took it in: what became of it (a draft, a cancel, nothing).

    The key is CAP's own (sender, identifier, sent), per unit: the same alert read
    again, from a file or a feed, is imported once.
    """

    __tablename__ = "cap_alert"
    __table_args__ = (UniqueConstraint("unit_id", "sender", "identifier", "sent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    sender: Mapped[str] = mapped_column(String(300))
    identifier: Mapped[str] = mapped_column(String(300))
    sent: Mapped[datetime]
    msg_type: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    # The draft bulletin made from it; None for a Cancel, or an alert that made none.
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), index=True)
    # The bulletin of the alert it references (an Update's predecessor, a Cancel's target):
    # where a series link is made.
    references_bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("cap_feed.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]
    # What was done, "Vietnamese (English)": drafted, cancelled N, not for this unit, …
    note: Mapped[str] = mapped_column(Text)

    bulletin: Mapped[Bulletin | None] = relationship(foreign_keys=[bulletin_id])
