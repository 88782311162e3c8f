"""The append-only airing log: one hash chain per station."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loa.db import Base


class AiringLogEntry(Base):
    __tablename__ = "airing_log_entry"
    __table_args__ = (UniqueConstraint("station_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    seq: Mapped[int]
    player_id: Mapped[int] = mapped_column(ForeignKey("player.id"))
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    airing_id: Mapped[int | None] = mapped_column(ForeignKey("airing.id"), index=True)
    # The bulletin a bulletin.started/completed event played (None for every other event).
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), index=True)
    at: Mapped[datetime]
    received_at: Mapped[datetime]
    asset_sha256: Mapped[str | None] = mapped_column(String(64))
    played_ms: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    sig: Mapped[str | None] = mapped_column(Text)
    # The event exactly as the player signed it (canonical JSON without sig), so an
    # auditor can check the signature with the player's public key alone.
    signed_body: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MonthClose(Base):
    """A month whose verdicts are final: reports read its snapshot from then on."""

    __tablename__ = "month_close"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime]


class StationMonthSnapshot(Base):
    """One station-month's verdict as it stood at close, with the chain head it rests on."""

    __tablename__ = "station_month_snapshot"
    __table_args__ = (UniqueConstraint("month", "station_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(ForeignKey("month_close.month"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    required: Mapped[int]
    counted: Mapped[int]
    status: Mapped[str] = mapped_column(String(32))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    programme_sha256: Mapped[str | None] = mapped_column(String(64))
    programme_duration_ms: Mapped[int | None]
    chain_seq: Mapped[int] = mapped_column(BigInteger)
    chain_head: Mapped[str | None] = mapped_column(String(64))
    # [{code, counted, required, status}] of a station judged by zone; None: judged as one.
    zones: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class ChainMark(Base):
    """How far a station's chain was verified whole (DESIGN §6).

    Entries 1..``seq`` verified, the last with hash ``hash``, and ``digest`` the
    SHA-256 of their stored columns. ``tag`` is an HMAC of the four under a key
    derived from the server's secret, which lives outside the database: a mark
    written with the database alone does not verify and is ignored.
    """

    __tablename__ = "chain_mark"

    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(64))


class ReportExport(Base):
    """A report file as it was sent up: number, period, who made it, when, and the file itself.

    Kept whole (the bytes, with their SHA-256) so the copy a district sent can be shown
    again exactly; the recommendations ("Kiến nghị") the unit wrote are kept with it.
    """

    __tablename__ = "report_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(6), default="")
    format: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(64))  # None: a script, no user
    created_at: Mapped[datetime]
    recommendations: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read when shown
