"""Benchmark: the programmes list of a province with 500 programmes, as a province user sees it.

Run: .venv/bin/python -m bench.bench_programmes_list [--requests 20]
500 programmes (10 campaigns × 50 communes), 12 segments each: 10 spoken texts of about
1,000 characters, a jingle and a silence; every tenth programme also holds a spoken text
of 10,000 characters (the most a segment takes); half are drafts, whose length the list
estimates. Reference, same run and client: GET /login, a page that reads nothing. Flask
test client in process: this measures the server only. Goal: the list in ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from bench.bench_ingest import postgres_database
from bench.bench_render import news_items
from bench.results import write_section
from loa import migrate
from loa.app import build_services, create_app
from loa.playlists.models import AudioAsset, Campaign, Programme, ProgrammeStatus, Segment
from loa.playlists.models import SegmentKind as Kind
from loa.playlists.programmes import spoken_words
from loa.settings import load_settings
from loa.stations.units import add_unit, get_unit
from loa.web.users import add_user

COMMAND = ".venv/bin/python -m bench.bench_programmes_list"
PASSWORD = "mat-khau-dai-2026"
COMMUNES, CAMPAIGNS = 50, 10
GOAL_S = 0.5


def _seed(session: Any) -> None:
    """The province, its communes, campaigns and 500 programmes (texts counted once)."""
    add_unit(session, "31", "Thành phố Hải Phòng", "province")
    add_user(session, "tinh", PASSWORD, "auditor", "31")
    province = get_unit(session, "31")
    communes = [add_unit(session, f"{11000 + n}", f"Xã số {n}", "commune", "31")
                for n in range(COMMUNES)]
    jingle = AudioAsset(sha256="a" * 64, bytes=100_000, duration_ms=8_000, format="mp3")
    session.add(jingle)
    campaigns = [Campaign(code=f"C{n}", topic=f"Chiến dịch {n}", unit=province)
                 for n in range(CAMPAIGNS)]
    session.add_all(campaigns)
    texts = news_items(10, 1000)
    long_text = (" ".join(texts) * 2)[:10_000]
    words = {t: spoken_words(t, {}) for t in [*texts, long_text]}
    for c, campaign in enumerate(campaigns):
        for u, commune in enumerate(communes):
            rendered = (c + u) % 2 == 0
            programme = Programme(
                campaign=campaign, unit=commune, month="2026-12", title=f"Bản tin {c}-{u}",
                status=ProgrammeStatus.rendered if rendered else ProgrammeStatus.draft,
                duration_ms=780_000 if rendered else None)
            spoken = texts + ([long_text] if u % 10 == 0 else [])
            programme.segments = [Segment(position=1, kind=Kind.jingle, asset_sha256=jingle.sha256)]
            programme.segments += [
                Segment(position=i, kind=Kind.tts, text=t, spoken_words=words[t])
                for i, t in enumerate(spoken, start=2)]
            programme.segments.append(
                Segment(position=len(spoken) + 2, kind=Kind.silence, seconds=1.0))
            session.add(programme)


def _times(client: Any, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - began)
        assert answer.status_code == 200, answer.status_code
    return times


def measure(database_url: str, work: Path, requests: int) -> dict[str, list[float]]:
    settings = load_settings({"LOA_HOME": str(work), "LOA_DATABASE_URL": database_url,
                              "LOA_SECRET_KEY": "bench-" + "x" * 32})
    settings.home.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(database_url)
    services = build_services(settings)
    try:
        with services.sessions.begin() as session:
            _seed(session)
        app = create_app(services, {"WTF_CSRF_ENABLED": False})
        reader, reference = app.test_client(), app.test_client()
        reader.post("/login", data={"username": "tinh", "password": PASSWORD})
        page = reader.get("/programmes").get_data(as_text=True)
        assert page.count('href="/programmes/') >= COMMUNES * CAMPAIGNS, "not every programme"
        return {"GET /programmes (500 programmes)": _times(reader, "/programmes", requests),
                "GET /login (reference)": _times(reference, "/login", requests)}
    finally:
        services.sessions.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results: list[tuple[str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        results.append(("SQLite (file)", measure(f"sqlite:///{tmp}/loa.db", Path(tmp) / "s",
                                                 args.requests)))
        try:
            with postgres_database() as url:
                results.append(("PostgreSQL 127.0.0.1", measure(url, Path(tmp) / "p",
                                                                 args.requests)))
        except OperationalError:
            pass
    rows, verdicts = [], []
    for database, found in results:
        for name, times in found.items():
            rows.append(f"| {database} | {name} | {statistics.median(times):.3f} | "
                        f"{max(times):.3f} |")
        listing, reference = (statistics.median(t) for t in found.values())
        verdict = "meets" if listing <= GOAL_S else "MISSES"
        verdicts.append(f"{database}: median list / reference {listing / reference:.0f}×, "
                        f"median list {listing:.3f} s: {verdict}")
    body = (
        f"{args.requests} requests each, as the province's auditor (sees all 500). "
        "500 programmes (10 campaigns × 50 communes), 12 segments each (10 spoken texts of "
        "about 1,000 characters, a jingle, a silence), every tenth with a 10,000-character "
        "text too; half drafts, estimated from the words counted when their texts were "
        "written. Flask test client in process.\n\n"
        "| database | request | median s | max s |\n| --- | --- | ---: | ---: |\n"
        + "\n".join(rows) + "\n\n" + "; ".join(verdicts)
        + f". Goal: the median ≤ {GOAL_S} s. 1-minute load average at the end: "
        f"{os.getloadavg()[0]:.1f} (2 cores, shared)."
    )
    write_section("programmes list", f"{COMMAND} --requests {args.requests}", body)


if __name__ == "__main__":
    main()
