"""Campaigns, monthly programmes and their segments, audio assets, and airings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    ScalarSelect,
    String,
    Text,
    UniqueConstraint,
    case,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from loa.db import Base, str_enum
from loa.stations.models import AdminUnit, Station, Zone


class ProgrammeStatus(StrEnum):
    draft = "draft"
    rendered = "rendered"
    approved = "approved"


class SegmentKind(StrEnum):
    tts = "tts"
    clip = "clip"
    jingle = "jingle"
    silence = "silence"
    bed = "bed"


class AiringStatus(StrEnum):
    planned = "planned"
    published = "published"
    aired = "aired"
    missed = "missed"
    failed = "failed"
    cancelled = "cancelled"


# Not yet played: what players should still hold, what settling looks at.
STILL_TO_AIR = (AiringStatus.planned, AiringStatus.published)
# An airing that has not failed still holds its place on air and in the count.
HOLDING = (*STILL_TO_AIR, AiringStatus.aired)
# Gone without a counted play: the planner makes these up while their month runs.
LOST = (AiringStatus.missed, AiringStatus.failed)


class AudioAsset(Base):
    __tablename__ = "audio_asset"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    duration_ms: Mapped[int]
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str] = mapped_column(String(16))
    bytes: Mapped[int] = mapped_column(BigInteger)


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    min_airings: Mapped[int] = mapped_column(default=3)
    min_s: Mapped[int] = mapped_column(default=600)
    max_s: Mapped[int] = mapped_column(default=900)
    # Months the campaign runs, "YYYY-MM" inclusive; None means open-ended.
    first_month: Mapped[str | None] = mapped_column(String(7))
    last_month: Mapped[str | None] = mapped_column(String(7))
    jingle_sha256: Mapped[str | None] = mapped_column(ForeignKey("audio_asset.sha256"))
    tts_engine: Mapped[str] = mapped_column(String(32), default="espeak-ng")
    tts_voice: Mapped[str] = mapped_column(String(64), default="vi")
    # A player restarted mid-airing may play the rest; off, it only reports the interruption.
    allow_resume: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[AdminUnit] = relationship()

    def runs_in(self, month: str) -> bool:
        """Whether the campaign asks for a programme in ``month`` (YYYY-MM)."""
        return (self.first_month or month) <= month <= (self.last_month or month)


def _longest_variant(programme_id: Any) -> ScalarSelect[int | None]:
    """The length of a programme's longest language variant (None without one), correlated
    to the programme row being read."""
    return (select(func.max(ProgrammeVariant.duration_ms))
            .where(ProgrammeVariant.programme_id == programme_id)
            .correlate_except(ProgrammeVariant).scalar_subquery())


class ProgrammeVariant(Base):
    """A programme recorded in another language (H'Mông, Khmer, Ê Đê…), one per language; a
    zone of that language plays it instead of the Vietnamese master (``playlists.variants``)."""

    __tablename__ = "programme_variant"
    __table_args__ = (UniqueConstraint("programme_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("audio_asset.sha256"))
    duration_ms: Mapped[int]
    added_at: Mapped[datetime]


class Programme(Base):
    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "month", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    # A correction of an approved programme is a new version; once approved it applies to
    # the airings still to come, while those already aired keep the version they played.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[ProgrammeStatus] = mapped_column(
        str_enum(ProgrammeStatus), default=ProgrammeStatus.draft
    )
    master_sha256: Mapped[str | None] = mapped_column(ForeignKey("audio_asset.sha256"))
    archive_sha256: Mapped[str | None] = mapped_column(ForeignKey("audio_asset.sha256"))
    duration_ms: Mapped[int | None] = mapped_column()  # the master's, once rendered
    rendered_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    # Usernames, kept as text so the record outlives the account (and reports can print it).
    created_by: Mapped[str | None] = mapped_column(String(64))
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    # The leader's reason for sending the programme back, shown to its author.
    review_comment: Mapped[str | None] = mapped_column(Text)

    # The air each of its airings holds on a station: its longest recording, the master or a
    # language variant (a zone of that language plays the variant whole), as a bulletin's
    # plays hold its longest audio; None before it is rendered. Every planner reads this
    # (deferred: the many pages that load a programme for its title never compute it).
    air_ms: Mapped[int | None] = column_property(
        case((_longest_variant(id) > duration_ms, _longest_variant(id)), else_=duration_ms),
        deferred=True,
    )

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    master: Mapped[AudioAsset | None] = relationship(foreign_keys=[master_sha256])
    segments: Mapped[list[Segment]] = relationship(
        back_populates="programme", order_by="Segment.position", cascade="all, delete-orphan"
    )


class Clip(Base):
    """A named recording of a unit, kept for reuse across its programmes."""

    __tablename__ = "clip"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("audio_asset.sha256"))

    asset: Mapped[AudioAsset] = relationship()


class Segment(Base):
    __tablename__ = "segment"
    __table_args__ = (UniqueConstraint("programme_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    position: Mapped[int]
    kind: Mapped[SegmentKind] = mapped_column(str_enum(SegmentKind))
    text: Mapped[str | None] = mapped_column(Text)
    # Words the engine will read (numbers and codes spelt out), counted when the text is
    # written: lengths are estimated from it without normalising texts on every view.
    spoken_words: Mapped[int | None]
    seconds: Mapped[float | None] = mapped_column(Float)
    engine: Mapped[str | None] = mapped_column(String(32))
    voice: Mapped[str | None] = mapped_column(String(64))
    asset_sha256: Mapped[str | None] = mapped_column(ForeignKey("audio_asset.sha256"))
    # What actually spoke at the last render (a fallback engine shows here).
    engine_used: Mapped[str | None] = mapped_column(String(32))
    render_note: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship(back_populates="segments")
    asset: Mapped[AudioAsset | None] = relationship()


class Airing(Base):
    __tablename__ = "airing"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[AiringStatus] = mapped_column(
        str_enum(AiringStatus), default=AiringStatus.planned
    )

    programme: Mapped[Programme] = relationship()
    station: Mapped[Station] = relationship()


class Acronym(Base):
    """A unit's reading of an abbreviation, for renders of its own subtree only.

    No unit: a global entry (added before units had their own, or by the
    command line without ``--unit``), read everywhere unless a unit overrides it.
    """

    __tablename__ = "acronym"
    __table_args__ = (UniqueConstraint("unit_id", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    word: Mapped[str] = mapped_column(String(32))
    spoken: Mapped[str] = mapped_column(String(200))


class RenderStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


# A programme has at most one render waiting or under way (a partial unique index).
RENDER_ACTIVE = "status IN ('queued', 'running')"


class RenderJob(Base):
    """A background render of a programme: queued by the web, run by any worker.

    Its times are real time (``SystemClock``) even under LOA_NOW: heartbeats
    are compared across processes that started at different moments.
    """

    __tablename__ = "render_job"
    __table_args__ = (
        Index(
            "uq_render_job_active", "programme_id", unique=True,
            sqlite_where=text(RENDER_ACTIVE), postgresql_where=text(RENDER_ACTIVE),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RenderStatus] = mapped_column(
        str_enum(RenderStatus), default=RenderStatus.queued, index=True
    )
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # The outcome in "Vietnamese (English)": what was rendered, or why it failed.
    message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # When the programme's page showed the outcome (it is shown once).
    shown_at: Mapped[datetime | None]
class BulletinPriority(StrEnum):
    """Circular 39/2020/TT-BTTTT's three levels: thông thường, ưu tiên, khẩn cấp."""

    normal = "normal"
    priority = "priority"
    emergency = "emergency"


class BulletinStatus(StrEnum):
    pending = "pending"  # normal/priority waiting for a leader's approval
    active = "active"  # sent (an emergency at once)
    cancelled = "cancelled"
    ended = "ended"  # its validity window is over


class BulletinSlotStatus(StrEnum):
    planned = "planned"
    published = "published"
    aired = "aired"
    missed = "missed"
    cancelled = "cancelled"


class Bulletin(Base):
    """A notice read on the loudspeakers, owned by a unit, for targets in its subtree."""

    __tablename__ = "bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)  # None: an uploaded recording
    priority: Mapped[BulletinPriority] = mapped_column(str_enum(BulletinPriority))
    status: Mapped[BulletinStatus] = mapped_column(
        str_enum(BulletinStatus), default=BulletinStatus.pending, index=True
    )
    # One file: the attention signal, then the speech (or the recording).
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("audio_asset.sha256"))
    duration_ms: Mapped[int]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    repeat_count: Mapped[int] = mapped_column(default=1)
    repeat_every_s: Mapped[int] = mapped_column(default=0)
    # Usernames as text, like Programme: the record outlives the account.
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # Series (playlists.bulletin_series): the newer bulletin sent in a series replaces this one.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin_series.id"), index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"))
    # Plays at the top of the hour every repeat_every_s (whole hours), local station time.
    on_the_hour: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Its on-the-hour plays also outside the broadcast windows (priority and emergency only).
    night: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[AdminUnit] = relationship()
    asset: Mapped[AudioAsset] = relationship()
    series: Mapped[BulletinSeries | None] = relationship()
    targets: Mapped[list[BulletinTarget]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan"
    )
    variants: Mapped[list[BulletinVariant]] = relationship(
        cascade="all, delete-orphan", order_by="BulletinVariant.language"
    )

    @property
    def air_ms(self) -> int:
        """How long its longest audio plays (its own or a language variant): the air each
        of its plays holds on a station."""
        return max([self.duration_ms, *(v.duration_ms for v in self.variants)])


class BulletinTarget(Base):
    """One target of a bulletin: a unit (its whole subtree), a single station (every zone),
    or one zone of a station (``station_id`` and ``zone_id``; playlists.bulletin_zones)."""

    __tablename__ = "bulletin_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"))

    bulletin: Mapped[Bulletin] = relationship(back_populates="targets")
    zone: Mapped[Zone | None] = relationship()


class BulletinVariant(Base):
    """A bulletin recorded in another language (H'Mông, Khmer, Ê Đê…), after the attention
    signal like its Vietnamese audio: the zones of that language play it instead."""

    __tablename__ = "bulletin_variant"
    __table_args__ = (UniqueConstraint("bulletin_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"))
    language: Mapped[str] = mapped_column(String(16))
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("audio_asset.sha256"))
    duration_ms: Mapped[int]


MAX_REASON_CHARS = 300  # why a play failed or did not count, as a delivery row keeps it


class BulletinDelivery(Base):
    """How a bulletin reached one target player: made at send, stamped as it goes."""

    __tablename__ = "bulletin_delivery"
    __table_args__ = (UniqueConstraint("bulletin_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("player.id"), index=True)
    # The audio this player is given: the bulletin's, or the variant of its zone's language.
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("audio_asset.sha256"))
    pushed_at: Mapped[datetime | None]  # the MQTT notice went out
    fetched_at: Mapped[datetime | None]  # the player first fetched its audio
    started_at: Mapped[datetime | None]  # the `at` of its first counted bulletin.started
    completed_at: Mapped[datetime | None]  # ... of its last counted bulletin.completed
    plays: Mapped[int] = mapped_column(default=0, server_default="0")
    # What the delivery states read (DESIGN §6, bulletin delivery): the latest counted start,
    # the latest failed play and why, and why the last completion did not count.
    last_started_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(MAX_REASON_CHARS))
    not_counted: Mapped[str | None] = mapped_column(String(MAX_REASON_CHARS))


class BulletinSlot(Base):
    """A placed play of a normal or priority bulletin in a station's window."""

    __tablename__ = "bulletin_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    status: Mapped[BulletinSlotStatus] = mapped_column(
        str_enum(BulletinSlotStatus), default=BulletinSlotStatus.planned
    )

    bulletin: Mapped[Bulletin] = relationship()


class BulletinSeries(Base):
    """A named run of bulletins about one event ("Bão số 3 năm 2026"), owned by a unit:
    each bulletin sent in it replaces the one before."""

    __tablename__ = "bulletin_series"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    unit: Mapped[AdminUnit] = relationship()
class BulletinOfferState(StrEnum):
    """Where a commune stands on a normal bulletin from a unit above (TT39: the commune
    decides about normal ones)."""

    offered = "offered"  # waiting for the commune's operator or leader
    accepted = "accepted"
    declined = "declined"  # with a reason, shown to the sender
    auto_accepted = "auto_accepted"  # not answered within LOA_OFFER_HOURS


class BulletinOffer(Base):
    """A normal bulletin from a unit above, offered to one target station's commune."""

    __tablename__ = "bulletin_offer"
    __table_args__ = (UniqueConstraint("bulletin_id", "station_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    state: Mapped[BulletinOfferState] = mapped_column(
        str_enum(BulletinOfferState), default=BulletinOfferState.offered, index=True
    )
    offered_at: Mapped[datetime]  # when the bulletin was sent; the answer is due hours after
    answered_by: Mapped[str | None] = mapped_column(String(64))  # None: a script, or the clock
    answered_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))  # why it was declined

    bulletin: Mapped[Bulletin] = relationship()
    station: Mapped[Station] = relationship()
