"""The player HTTP API v1 (DESIGN §5): schedule, audio, events, enrolment, OpenAPI."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from loa.canonical import canonical_json, nesting_depth
from loa.compliance import keylog
from loa.compliance.event_checks import SHA256
from loa.compliance.ingest import IngestResult, SignerRevoked, ingest_events
from loa.compliance.key_entries import signer
from loa.db import soft_commit
from loa.errors import LoaError
from loa.metrics import EVENTS, SCHEDULES
from loa.playlists.airing_zones import player_airings
from loa.playlists.assets import audio_json
from loa.playlists.bulletin_delivery import mark_fetched
from loa.playlists.bulletin_zones import player_audio
from loa.playlists.bulletins import deliver_to_player
from loa.playlists.models import (
    Airing,
    AiringStatus,
    AudioAsset,
    Bulletin,
    BulletinSlot,
    BulletinSlotStatus,
    Programme,
)
from loa.playlists.player_bulletins import bulletin_asset, player_bulletins
from loa.playlists.relays import player_relays, relay_fallback_asset
from loa.playlists.schedule import station_airings, station_bulletin_slots
from loa.playlists.variants import variant_asset, variant_assets
from loa.stations.models import Player, Station
from loa.stations.players import PlayerAuthError, apply_heartbeats, authenticate
from loa.web.audio_files import send_audio
from loa.web.context import db, services

logger = logging.getLogger(__name__)

bp = Blueprint("player_api", __name__, url_prefix="/api/v1")

HORIZON = timedelta(days=35)
MAX_WINDOW = timedelta(days=93)
# The largest body this API takes (a batch of events, a heartbeat): checked by
# loa.web.wiring before a byte of it is read.
BODY_LIMIT = 2 * 1024 * 1024
MAX_EVENTS_BYTES = BODY_LIMIT
MAX_EVENTS = 5000
# {events: [event {detail (8 deep at most)}]} needs 11. Up to this depth an event nested
# too deep is rejected alone; past it the body is refused (400) before anything recursive
# (json.dumps, the signature check) walks it.
MAX_BODY_DEPTH = 100
# from/to further than this from today is a typo or a probe, not a month to re-fetch.
MAX_REACH = timedelta(days=3660)
OPENAPI = Path(__file__).with_name("openapi.json")
MIMETYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "opus": "audio/ogg"}


class BadRequest(LoaError):
    """A request the API cannot read; answered with 400."""


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


@bp.errorhandler(PlayerAuthError)
def _unauthorised(err: PlayerAuthError) -> Response:
    response = _error(str(err), 401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="loa-player"'
    return response


@bp.errorhandler(LoaError)
def _bad_request(err: LoaError) -> Response:
    return _error(str(err), 400)


@bp.errorhandler(keylog.KeyRefused)
@bp.errorhandler(SignerRevoked)
def _conflict(err: LoaError) -> Response:
    return _error(str(err), 409)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err: RequestEntityTooLarge) -> Response:
    return _error("Yêu cầu quá lớn, hãy gửi lô nhỏ hơn (request too large)", 413)


@bp.errorhandler(NotFound)
def _not_found(err: NotFound) -> Response:
    return _error(err.description or "Không tìm thấy (not found)", 404)


@bp.errorhandler(OperationalError)
def _database_down(err: OperationalError) -> Response:
    """The database is restarting or locked: the player keeps its events and tries again."""
    logger.warning("player API: database unavailable: %s", err.orig)
    response = _error("Cơ sở dữ liệu tạm thời không sẵn sàng, hãy gửi lại sau "
                      "(database unavailable, retry later)", 503)
    response.headers["Retry-After"] = "30"
    return response


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    return _error(f"{err.name} ({err.code})", err.code or 500)


@bp.after_request
def _stamp_server_time(response: Response) -> Response:
    """Every answer carries the server's time in ms so agents can estimate their clock offset."""
    now = services().clock.now()
    response.headers["X-Loa-Server-Time"] = now.isoformat(timespec="microseconds")
    return response


def _player(session: Session) -> Player:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return authenticate(session, token.strip() if scheme.lower() == "bearer" else None)


def _read_body(limit: int) -> bytes:
    """The body, read in pieces until it ends; 413 as soon as it passes ``limit``.

    A longer Content-Length was refused before the view (loa.web._limit_body); a
    chunked body has none, and its stream raises 413 when read past the limit.
    """
    parts, size = [], 0
    while chunk := request.stream.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        parts.append(chunk)
    return b"".join(parts)


def _json_body() -> dict[str, Any]:
    """The request's JSON object, read by hand so that no input can end in a 500.

    Cases: more than 2 MB is 413; not JSON, digits past Python's limit, or nesting
    deeper than the stack (RecursionError) or than MAX_BODY_DEPTH is 400. NaN and
    Infinity parse, and the event carrying them is rejected alone.
    """
    data = _read_body(MAX_EVENTS_BYTES)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise BadRequest("Thân yêu cầu phải là một đối tượng JSON (body must be a JSON object)")
    if nesting_depth(body) > MAX_BODY_DEPTH:
        raise BadRequest(
            f"JSON lồng quá {MAX_BODY_DEPTH} tầng (JSON nested more than {MAX_BODY_DEPTH} deep)"
        )
    return body


def _parse_day(name: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Local midnight of the ``name`` query day in UTC; within 10 years of ``now``, else 400."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} phải là ngày ISO, ví dụ 2026-11-01 ({name} must be a date)") \
            from exc
    if abs(day - now.astimezone(tz).date()) > MAX_REACH:
        raise BadRequest(f"{name} cách hôm nay quá 10 năm ({name} is more than 10 years away)")
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def schedule_window(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The [start, end) the schedule covers: ``from``/``to`` local days (inclusive) or 35 days.

    Cases: no parameters gives today's local midnight to 35 days later, the same
    window all day long, so a player polling again gets 304 until something
    changes or the day turns; ``to`` alone ends that local day; ``from`` alone
    runs 35 days from its midnight; to before from, more than 93 days, or a day
    more than 10 years from today is a 400.
    """
    start = _parse_day("from", now, tz)
    end = _parse_day("to", now, tz)
    end = end + timedelta(days=1) if end is not None else None
    today = datetime.combine(now.astimezone(tz).date(), time(0), tz).astimezone(UTC)
    start = start or (today if end is None else min(today, end - HORIZON))
    end = end or start + HORIZON
    if end <= start or end - start > MAX_WINDOW:
        raise BadRequest("Khoảng from/to không hợp lệ, tối đa 93 ngày (bad from/to window)")
    return start, end


def _airing_json(airing: Airing, programme: Programme, asset: AudioAsset, tz: ZoneInfo) -> dict:
    return {
        "id": airing.id,
        "starts_at": airing.starts_at.astimezone(tz).isoformat(),
        "programme": {
            "id": programme.id,
            "title": programme.title,
            # A language variant (its zone's) has its own length.
            "duration_ms": (programme.duration_ms if asset.sha256 == programme.master_sha256
                            else None) or asset.duration_ms,
        },
        "audio": audio_json(asset.sha256, asset.bytes, asset.format),
        # The campaign's rule travels with each airing: the agent decides offline after a reboot.
        "resume": programme.campaign.allow_resume,
    }


def _slot_json(slot: BulletinSlot, bulletin: Bulletin, asset: AudioAsset, tz: ZoneInfo) -> dict:
    return {
        "slot_id": slot.id,
        "bulletin_id": bulletin.id,
        "priority": str(bulletin.priority),
        "title": bulletin.title,
        "starts_at": slot.starts_at.astimezone(tz).isoformat(),
        # its own audio's length: a zone's language variant has its own
        "audio": audio_json(asset.sha256, asset.bytes, asset.format, asset.duration_ms),
    }


def _mark_slots_published(session: Session, slot_ids: list[int]) -> None:
    """planned → published: the slot has reached at least one player of its station."""
    if slot_ids:
        session.execute(
            update(BulletinSlot)
            .where(BulletinSlot.id.in_(slot_ids), BulletinSlot.status == BulletinSlotStatus.planned)
            .values(status=BulletinSlotStatus.published)
        )


def _mark_published(session: Session, airing_ids: list[int]) -> None:
    """planned → published: the airing has reached at least one player of its station."""
    if airing_ids:
        session.execute(
            update(Airing)
            .where(Airing.id.in_(airing_ids), Airing.status == AiringStatus.planned)
            .values(status=AiringStatus.published)
        )


@bp.get("/player/schedule")
def schedule() -> Response:
    """This player's airings for the next 35 days (or from/to), with an ETag over the content."""
    with db() as session:
        player = _player(session)
        station = session.get_one(Station, player.station_id)
        tz = ZoneInfo(station.timezone)
        start, end = schedule_window(services().clock.now(), tz)
        # An airing naming zones is on the schedules of their players alone.
        rows = player_airings(session, player, station_airings(session, station.id, start, end))
        # A zone with its own language plays the programme's variant in it, if there is one.
        variants = variant_assets(session, player, {p.id for _a, p, _s in rows})
        airings = [_airing_json(a, p, variants.get(p.id, asset), tz) for a, p, asset in rows]
        placed = station_bulletin_slots(session, station.id, start, end)
        # A bulletin naming zones reaches theirs alone; a zone plays its language's variant.
        heard = player_audio(session, player, {b.id: b for _s, b, _a in placed}.values())
        slots = [(sl, b, heard[b.id]) for sl, b, _a in placed if b.id in heard]
        content = {
            "player": {"id": player.id, "station": station.code, "mode": str(player.mode),
                       "timezone": station.timezone},
            "from": start.astimezone(tz).isoformat(),
            "to": end.astimezone(tz).isoformat(),
            "airings": airings,
            # Normal and priority bulletins placed in the windows (scheduler.bulletin_placement).
            "bulletins": [_slot_json(sl, b, asset, tz) for sl, b, asset in slots],
            # Live relays at fixed hours (playlists.relays): the agent relays them offline too.
            "relays": player_relays(session, player, start, end, tz),
        }
        etag = hashlib.sha256(canonical_json(content).encode()).hexdigest()
        published = [a.id for a, _p, _s in rows if a.status == AiringStatus.planned]
        slots_published = [sl.id for sl, _b, _s in slots
                           if sl.status == BulletinSlotStatus.planned]
        if published or slots_published:
            soft_commit(session)  # published is soft: the next poll marks it again if lost
            _mark_published(session, published)
            _mark_slots_published(session, slots_published)
    if request.if_none_match.contains(etag):
        SCHEDULES.labels("304").inc()
        response = Response(status=304)
    else:
        now = services().clock.now().isoformat(timespec="milliseconds")
        SCHEDULES.labels("200").inc()
        response = jsonify({**content, "server_time": now})
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/player/bulletins")
def bulletins() -> Response:
    """Emergency bulletins for this player (active, or over within 24 h), with an ETag.

    The answer to a poll that finds nothing new is 304 after one small query. Listing a
    bulletin is not fetching it: its delivery row is stamped when its audio is fetched.
    """
    with db() as session:
        player = _player(session)
        content, etag = player_bulletins(session, player, services().clock.now())
        unchanged = request.if_none_match.contains(etag)
    response = Response(status=304) if unchanged else jsonify(content)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _playable_asset(session: Session, player: Player,
                    sha256: str) -> tuple[AudioAsset | None, bool]:
    """The asset, if a bulletin sent to the player or an airing of its station plays it;
    and whether it is a bulletin's.

    A bulletin's is looked up first: every player of an emergency asks for it at once and
    is waiting to play it, while an airing's file is fetched days ahead (the other three
    look-ups cost a bulletin's fetch five queries more).
    """
    # Anything but 64 hex digits names no file (and a NUL would be a database error).
    if not SHA256.fullmatch(sha256):
        return None, False
    bulletin = bulletin_asset(session, player, sha256)
    if bulletin is not None:
        return bulletin, True
    asset = session.scalar(
        select(AudioAsset)
        .join(Programme, Programme.master_sha256 == AudioAsset.sha256)
        .join(Airing, Airing.programme_id == Programme.id)
        .where(
            AudioAsset.sha256 == sha256,
            Airing.station_id == player.station_id,
            Airing.status != AiringStatus.cancelled,
        )
        .limit(1)
    )
    if asset is None and relay_fallback_asset(session, player, sha256):
        asset = session.get(AudioAsset, sha256)  # a relay's fallback file
    return asset or variant_asset(session, player, sha256), False


@bp.get("/audio/<sha256>")
def audio(sha256: str) -> Response:
    """The audio file of an airing or a bulletin for this player; Range and ETag work."""
    store = services().store
    with db() as session:
        player = _player(session)
        asset, of_bulletin = _playable_asset(session, player, sha256)
        found = asset is not None and store.exists(sha256)
        if found and of_bulletin:  # a bulletin's plays count only on audio the player fetched
            mark_fetched(session, player.id, sha256, services().clock.now())
    if asset is None or not found:
        raise NotFound("Không có tệp âm thanh này cho đài của bạn (no such audio for this station)")
    response = send_audio(
        store.path(sha256),
        MIMETYPES.get(asset.format.lower(), "application/octet-stream"),
        etag=sha256,
        max_age=86400,
    )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def _events_body() -> list[Any]:
    """The request's events list, read once (kept in ``g`` for a second attempt)."""
    if "loa_events" in g:
        return g.loa_events
    events = _json_body().get("events")
    if not isinstance(events, list):
        raise BadRequest('Thân yêu cầu cần {"events": [...]} (body needs an events list)')
    if len(events) > MAX_EVENTS:
        raise RequestEntityTooLarge()
    g.loa_events = events
    return events


def _ingest(received_at: datetime) -> tuple[IngestResult, list[str], int]:
    with db() as session:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        player, keys = signer(session, token.strip() if scheme.lower() == "bearer" else None)
        tolerance = timedelta(minutes=services().settings.start_tolerance_minutes)
        result = ingest_events(session, player, _events_body(), received_at, keys, tolerance)
        warnings = apply_heartbeats(player, result.heartbeats, received_at) + result.warnings
        if not result.logged:
            soft_commit(session)  # heartbeats, repeats: soft state only, no fsync to wait for
        return result, warnings, player.id


@bp.post("/player/events")
def events() -> Response:
    """Take a batch of signed events; answer which were accepted and which rejected, and why."""
    received_at = services().clock.now()
    try:
        result, warnings, player_id = _ingest(received_at)
    except IntegrityError:
        # Another station's player wrote one of these event ids at the same moment: the
        # transaction is gone; run it again, and that event is rejected as known.
        result, warnings, player_id = _ingest(received_at)
    EVENTS.labels("accepted").inc(len(result.accepted))
    EVENTS.labels("rejected").inc(len(result.rejected))
    if warnings:
        logger.warning("player %s: %s", player_id, "; ".join(warnings))
    if result.rejected:
        logger.info("player %s: %d event(s) rejected", player_id, len(result.rejected))
    return jsonify(accepted=result.accepted, rejected=result.rejected, warnings=warnings,
                   server_time=received_at.isoformat(timespec="milliseconds"))


@bp.post("/player/enroll")
def enroll() -> tuple[Response, int]:
    """Register the public half of a key the player generated; enrolling twice is harmless."""
    with db() as session:
        _player(session)  # a bad token is 401 whatever the body
    public_key = _json_body().get("public_key")
    if not isinstance(public_key, str):
        raise BadRequest("Thiếu public_key (public_key is required)")
    try:
        return _enroll(public_key)
    except IntegrityError:
        # The same key, enrolled by a request running at the same moment: found this time.
        return _enroll(public_key)


def _enroll(public_key: str) -> tuple[Response, int]:
    with db() as session:
        player = _player(session)
        key = keylog.enrol(session, player, public_key, services().clock.now(),
                           services().settings.max_keys_per_player)
        deliver_to_player(session, player)  # a player added during an emergency gets it
        body = {"player_id": player.id, "key_id": key.id}
    return jsonify(body), 201


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API, as kept in the repository."""
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as data (tests check it names every route)."""
    return json.loads(OPENAPI.read_text(encoding="utf-8"))
