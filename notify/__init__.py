"""The notification room: the to-do inbox, and alerts that reach people by e-mail, webhook
and the inbox. Events become rows when they happen (the request or job that caused them
only writes); a clock-driven job delivers them, with retries, and logs each attempt."""
