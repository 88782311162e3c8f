"""The append-only airing log: one hash chain per station."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
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
