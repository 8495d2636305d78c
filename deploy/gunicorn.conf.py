"""Gunicorn settings for the ORB on a small engine-room box (make serve, deploy/orb-web.service).

The address comes from the command line (`make serve` passes BIND and PORT; the service passes
ORB_BIND). Sized for two cores and a few users: two worker processes, so one stuck request never
stops the site, each with four threads for the pages a handful of people open at once.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
# A request taking longer than this is stuck (the slowest page, the book as PDF, takes seconds):
# its worker is replaced. Workers get this long to finish their requests on stop or restart.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Replace each worker after this many requests, so a slow leak never builds up over months at sea.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on the box's (often slow, flash) disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Logs to stdout/stderr: systemd's journal keeps and rotates them (docs/DEPLOYMENT.md).
accesslog = "-"
errorlog = "-"
loglevel = "info"
# No runtime control socket: nothing on board manages gunicorn but systemd and make serve.
control_socket_disable = True
