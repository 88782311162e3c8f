"""The reference player agent: a client of the player API that airs on time, offline too.

It installs alone on a station box (``packaging/player``: requests, cryptography,
paho-mqtt) and imports nothing of the server. Modules by concern: ``config``
(settings), ``clock`` and ``timekeeping`` (server time from a wall clock that may
step or reboot), ``localdb`` (its own SQLite file), ``keys`` (Ed25519),
``client`` (HTTP), ``cache`` (audio files), ``outbox`` (events until
acknowledged), ``health`` (what the heartbeat reports), ``output`` (speakers or a
recorder), ``on_air`` (what is on air, through the output chain), ``agent``
(airing the schedule, composing the parts), ``outcomes`` (airings' outcomes),
``link`` (sync and send), ``preempt`` (bulletins), ``runner`` (real-time threads,
MQTT), ``cli`` and ``status`` (the `loa-player` command).
"""
