"""Relay sources (a unit's live streams) and relay slots (when a station relays one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base
from loa.stations.models import AdminUnit, Station, Zone

# The zones a station's relay slot names; none: every zone of the station (issue 17 §4).
relay_slot_zone = Table(
    "relay_slot_zone",
    Base.metadata,
    Column("slot_id", ForeignKey("relay_slot.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zone.id"), primary_key=True),
)


class RelaySource(Base):
    """A named stream a unit relays: VOV, the provincial station (Icecast, HTTP, HLS)."""

    __tablename__ = "relay_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    # What airs when the stream drops (a file of the audio store); None: the station's
    # latest programme.
    fallback_sha256: Mapped[str | None] = mapped_column(ForeignKey("audio_asset.sha256"))
    # The last probe: the codec heard ("mp3", "aac", …) or why it failed.
    codec: Mapped[str | None] = mapped_column(String(32))
    probe_error: Mapped[str | None] = mapped_column(String(300))
    probed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    unit: Mapped[AdminUnit] = relationship()


class RelaySlot(Base):
    """A recurring relay: on ``days`` at local ``at`` for ``minutes``, on a unit (every
    station below it) or one station, there on every zone or on the ``zones`` named."""

    __tablename__ = "relay_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("relay_source.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), index=True)
    days: Mapped[str] = mapped_column(String(40))  # "T2-CN", "T2-T7", "T2+T4+T6"
    at: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    minutes: Mapped[int]
    required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    source: Mapped[RelaySource] = relationship()
    unit: Mapped[AdminUnit | None] = relationship()
    station: Mapped[Station | None] = relationship()
    zones: Mapped[list[Zone]] = relationship(secondary=relay_slot_zone, order_by=Zone.id)
