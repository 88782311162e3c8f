"""A publisher that records the notices it was asked to send."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from loa.playlists.models import Airing, AiringStatus
from loa.services import Services


class RecordingPublisher:
    """Records notices, and what a second connection sees of the schedule when each arrives."""

    def __init__(self) -> None:
        self.changed: list[int] = []
        self.played: list[tuple[int, int]] = []
        self.visible_at_notice: list[int] = []  # holding airings another session could read
        self.services: Services | None = None
        self.bulletins: list[tuple[str, int, list[int]]] = []  # (kind, bulletin id, players)

    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        self.changed.extend(player_ids)
        assert self.services is not None
        with self.services.sessions() as other:
            self.visible_at_notice.append(
                other.scalar(
                    select(func.count(Airing.id)).where(
                        Airing.status.not_in((AiringStatus.cancelled, AiringStatus.missed))
                    )
                )
                or 0
            )

    def play_now(self, player_id: int, airing_id: int) -> None:
        self.played.append((player_id, airing_id))

    def bulletin(self, kind: str, bulletin_id: int, player_ids: Iterable[int]) -> list[int]:
        """Records a ``bulletin``/``bulletin.cancelled`` notice; as if every player got it."""
        players = list(player_ids)
        self.bulletins.append((kind, bulletin_id, players))
        return players

    def close(self) -> None:
        """Nothing queued."""
