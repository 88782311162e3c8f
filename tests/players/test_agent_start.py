"""`loa-player run` says, as it starts, where it connects and what it already holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

LOA_PLAYER = str(Path(sys.executable).parent / "loa-player")


def first_lines(home: Path, *flags: str, count: int = 6) -> list[str]:
    """The agent's first log lines (its server unreachable: it starts offline), then stop it."""
    env = {**os.environ, "LOA_PLAYER_TOKEN": "loa_p_" + "x" * 40}
    agent = subprocess.Popen(
        [LOA_PLAYER, "run", "--server", "http://127.0.0.1:9", "--home", str(home), *flags],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert agent.stderr is not None
        return [agent.stderr.readline().rstrip("\n") for _ in range(count)]
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)


def test_the_agent_names_its_server_broker_home_and_outputs_first(tmp_path: Path) -> None:
    lines = first_lines(
        tmp_path / "box", "--mqtt", "mqtts://loa:secret-pass@broker.example:8883",
        "--output", "aplay,null",
    )
    said = "\n".join(lines)
    assert "Máy chủ (server): http://127.0.0.1:9" in said
    assert "Nhận tin đẩy (broker): mqtts://loa:***@broker.example:8883" in said
    assert "secret-pass" not in said
    assert f"Thư mục (home): {tmp_path / 'box'}" in said
    assert "Đầu ra (outputs): aplay, null" in said
    assert "Tệp âm thanh đã lưu: 0 (audio files cached)" in said
    assert "Lịch phát: 0 lượt" in said  # a new box holds no schedule yet


def test_without_a_broker_the_agent_says_it_polls(tmp_path: Path) -> None:
    said = "\n".join(first_lines(tmp_path / "box", "--poll", "120", "--output", "null"))
    assert "không có, hỏi máy chủ mỗi 120 giây (none: polling every 120 s)" in said
