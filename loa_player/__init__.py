"""The reference player agent: a client of the player API that airs on time, offline too.

Modules by concern: ``config`` (settings), ``localdb`` (its own SQLite file),
``keys`` (Ed25519), ``client`` (HTTP), ``cache`` (audio files), ``outbox``
(events until acknowledged), ``output`` (speakers or a recorder), ``agent``
(the decisions, one step at a time) and ``runner`` (real-time threads, MQTT).
"""
