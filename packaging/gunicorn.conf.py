# Gunicorn configuration for the Loa web workers.
#
#   gunicorn -c packaging/gunicorn.conf.py          # or: loa web --workers 4
#
# The settings live in the installed package (loa/gunicorn_conf.py) and read
# LOA_BIND, LOA_WEB_WORKERS, LOA_WEB_THREADS, LOA_WEB_TIMEOUT,
# LOA_FORWARDED_ALLOW_IPS and LOA_METRICS_DIR from the environment.
# Copy this file next to your unit and override below it if you must.
from loa.gunicorn_conf import *  # noqa: F403
from loa.gunicorn_conf import child_exit, on_starting  # noqa: F401  (hooks, named for gunicorn)

# Example overrides:
# workers = 4
# bind = ["unix:/run/loa/web.sock"]
