"""A private Icecast server (Debian's icecast2) on a free port, fed by ffmpeg: real streaming
for the relay tests, started like the test Mosquitto (tests/helpers/mosquitto.py).

icecast2 refuses to run as root, so started as root it drops to nobody/nogroup
(``<changeowner>``), and its log folder is one that user can write. Required under
CI=true (a missing icecast2 fails there), skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import need_server
from tests.helpers.mosquitto import free_port

ICECAST = "/usr/bin/icecast2"
SHARE = Path("/usr/share/icecast2")
PASSWORD = "loa-test-source"
WAIT_S = 10.0


def _config(port: int, logs: Path) -> str:
    owner = ("<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
             if os.geteuid() == 0 else "")
    return f"""<icecast>
  <location>test</location><admin>test@localhost</admin>
  <limits><clients>20</clients><sources>4</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout><burst-on-connect>1</burst-on-connect>
    <burst-size>8192</burst-size></limits>
  <authentication><source-password>{PASSWORD}</source-password>
    <relay-password>{PASSWORD}</relay-password>
    <admin-user>admin</admin-user><admin-password>{PASSWORD}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>{SHARE}</basedir><logdir>{logs}</logdir><webroot>{SHARE}/web</webroot>
    <adminroot>{SHARE}/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"""


@dataclass
class Icecast:
    """icecast2 on 127.0.0.1:``port``; ``feed`` puts a tone on a mount through ffmpeg."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loa-icecast-")))
    process: subprocess.Popen[bytes] | None = None
    feeds: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, mount: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mount}"

    def start(self) -> Icecast:
        if not Path(ICECAST).exists():
            need_server(f"Icecast ({ICECAST}; scripts/setup.sh installs icecast2)",
                        FileNotFoundError(ICECAST))
        # nobody must reach and write the log folder (mkdtemp makes it 0700, root's).
        os.chmod(self.folder, 0o777)
        conf = self.folder / "icecast.xml"
        conf.write_text(_config(self.port, self.folder))
        os.chmod(conf, 0o644)
        self.process = subprocess.Popen([ICECAST, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT_S
        while True:
            assert self.process.poll() is None, (
                f"icecast2 exited: {self.process.stderr.read().decode()}"  # type: ignore[union-attr]
                f"{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, f"icecast2 not listening on {self.port}"
                time.sleep(0.05)  # readiness poll of a process just started

    def feed(self, mount: str, frequency: float = 880.0, volume_db: float = -6.0) -> None:
        """A sine tone (at ``volume_db``; -90 is dead air) encoded to MP3, in real time, on
        ``mount``; returns once listeners get it."""
        source = f"sine=frequency={frequency}:sample_rate=22050"
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", source,
               "-af", f"volume={volume_db}dB", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k",
               "-content_type", "audio/mpeg", "-f", "mp3",
               f"icecast://source:{PASSWORD}@127.0.0.1:{self.port}/{mount}"]
        self.feeds[mount] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT_S
        while not self.mounted(mount):
            feed = self.feeds[mount]
            assert feed.poll() is None, f"ffmpeg feed exited: {feed.stderr.read().decode()}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"{mount} not on air: {self.log()}"
            time.sleep(0.1)  # readiness poll: the source connects within a second

    def mounted(self, mount: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(mount), timeout=2) as answer:
                return bool(answer.read(1))
        except OSError:
            return False

    def cut(self, mount: str) -> None:
        """The source goes off the air: its feed stops, the mount disappears."""
        feed = self.feeds.pop(mount, None)
        if feed is not None:
            feed.terminate()
            feed.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        for mount in list(self.feeds):
            self.cut(mount)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
