"""The admin-unit tree, stations with their broadcast windows, and players."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.clock import VN_ZONE_NAME
from loa.db import Base, str_enum


class UnitLevel(StrEnum):
    country = "country"  # the national root, above the provinces (a full `loa unit import`)
    province = "province"
    district = "district"
    commune = "commune"


class PlayerMode(StrEnum):
    prefetch = "prefetch"
    live = "live"


DEFAULT_EMERGENCY_ROLES = "leader,admin"


class AdminUnit(Base):
    __tablename__ = "admin_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    # Roles that may send an emergency bulletin this unit owns (comma list, design §4).
    emergency_roles: Mapped[str] = mapped_column(
        String(200), default=DEFAULT_EMERGENCY_ROLES, server_default=DEFAULT_EMERGENCY_ROLES
    )
    # The attention signal before this unit's bulletins; None: the nearest ancestor's,
    # else the shipped default. A sha256 of the audio store (no foreign key: the asset
    # table belongs to playlists, and the store keeps the file).
    attention_sha256: Mapped[str | None] = mapped_column(String(64))
    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])
    stations: Mapped[list[Station]] = relationship(back_populates="unit")
    report: Mapped[UnitReport | None] = relationship()


class UnitReport(Base):
    """How a unit's reports are issued: who signs, from where, to whom (unset: defaults)."""

    __tablename__ = "unit_report"

    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), primary_key=True)
    signer_title: Mapped[str | None] = mapped_column(String(200))
    signer_name: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(100))  # of the "…, ngày … tháng …" line
    report_to: Mapped[str | None] = mapped_column(String(200))  # "Kính gửi"


class Station(Base):
    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="commune")
    timezone: Mapped[str] = mapped_column(String(64), default=VN_ZONE_NAME)
    # Broadcast windows as local "HH:MM-HH:MM" strings, e.g. ["05:30-06:30", "17:00-18:00"].
    windows: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when a station with history stops broadcasting: kept for its past reports, no
    # longer planned nor targeted (a station without history is deleted instead).
    retired_at: Mapped[datetime | None]

    unit: Mapped[AdminUnit] = relationship(back_populates="stations")
    players: Mapped[list[Player]] = relationship(back_populates="station")
    zones: Mapped[list[Zone]] = relationship(back_populates="station", order_by="Zone.id")

    @property
    def unit_name(self) -> str:
        """As ``stations.units.StationRef`` has it: reports take either."""
        return self.unit.name


DEFAULT_ZONE_CODE = "chung"  # every station's default zone (design §4, "Loudspeaker zones")
DEFAULT_ZONE_NAME = "Toàn đài"
DEFAULT_LANGUAGE = "vi"


class Zone(Base):
    """A loudspeaker cluster (cụm loa) of a station, with the language its people listen in."""

    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("station_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16), default=DEFAULT_LANGUAGE)

    station: Mapped[Station] = relationship(back_populates="zones")


class Player(Base):
    __tablename__ = "player"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The Mosquitto ($7$) hash of its broker password; None: no broker login (revoked, or
    # issued before logins existed). See stations.broker_auth.
    broker_password_hash: Mapped[str | None] = mapped_column(String(160))
    mode: Mapped[PlayerMode] = mapped_column(str_enum(PlayerMode), default=PlayerMode.prefetch)
    revoked: Mapped[bool] = mapped_column(default=False)
    last_seen: Mapped[datetime | None]
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    health: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # The zone it drives; None: the station's default zone (a player imported in bulk).
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), index=True)

    station: Mapped[Station] = relationship(back_populates="players")
    zone: Mapped[Zone | None] = relationship()
    keys: Mapped[list[PlayerKey]] = relationship(back_populates="player")


class PlayerKey(Base):
    """An Ed25519 public key a player enrolled; its events must be signed by one."""

    __tablename__ = "player_key"
    __table_args__ = (UniqueConstraint("player_id", "public_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("player.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    enrolled_at: Mapped[datetime]

    player: Mapped[Player] = relationship(back_populates="keys")
