"""Which programme a station airs, and the length check an operator reads."""

from loa.playlists.programmes import Candidate, duration_problem, nearest_programme

COMMUNE, DISTRICT, PROVINCE, OTHER = 30, 20, 10, 99
CHAIN = [COMMUNE, DISTRICT, PROVINCE]


def test_province_programme_relays_to_every_commune() -> None:
    assert nearest_programme(CHAIN, [Candidate(PROVINCE, 1)]) == 1


def test_commune_own_programme_replaces_the_relayed_one() -> None:
    cands = [Candidate(PROVINCE, 1), Candidate(COMMUNE, 3), Candidate(DISTRICT, 2)]
    assert nearest_programme(CHAIN, cands) == 3


def test_district_programme_wins_over_province() -> None:
    assert nearest_programme(CHAIN, [Candidate(PROVINCE, 1), Candidate(DISTRICT, 2)]) == 2


def test_other_units_programme_never_applies() -> None:
    assert nearest_programme(CHAIN, [Candidate(OTHER, 9)]) is None
    assert nearest_programme(CHAIN, []) is None


def test_duration_messages_say_by_how_much() -> None:
    assert duration_problem(600_000, 600, 900) is None
    assert duration_problem(900_000, 600, 900) is None
    short = "ngắn hơn mức tối thiểu 1 phút (too short by 1 min)"
    assert duration_problem(540_000, 600, 900) == short
    assert duration_problem(935_400, 600, 900) == "dài hơn mức tối đa 36 giây (too long by 36 s)"
    assert duration_problem(599_600, 600, 900) == "ngắn hơn mức tối thiểu 1 giây (too short by 1 s)"
