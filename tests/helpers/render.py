"""Render jobs: a short spoken programme in a commune."""

from __future__ import annotations

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.editing import add_segment, create_programme
from loa.services import Services
from loa.stations.units import add_unit

SENTENCE = "Bà con thực hiện chuyển đổi số, cài ứng dụng dịch vụ công trên điện thoại."


def programme(services: Services, sentences: int = 1) -> int:
    """A draft of a few spoken sentences in a commune of Hải Phòng."""
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31",
                     min_minutes=0.05, max_minutes=5)
        made = create_programme(s, "CDS", "11560", "2026-12", "Tháng 12")
        for _ in range(sentences):
            add_segment(s, services.store, made.id, "tts", text=SENTENCE)
        return made.id
