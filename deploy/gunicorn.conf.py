# gunicorn settings for a carebridge node, for running gunicorn directly:
#   gunicorn -c deploy/gunicorn.conf.py carebridge.wsgi:application
# They are the ones `carebridge serve` applies (carebridge.web.server.gunicorn_options), taken
# from there so the two cannot drift apart:
#   worker_class  carebridge.web.worker.SlowClientWorker (gthread whose threads only get whole
#                 requests; CAREBRIDGE_HTTP_HEADER_TIMEOUT 10 s / CAREBRIDGE_HTTP_BODY_TIMEOUT
#                 30 s, then 408)
#   threads 32, timeout 30, graceful_timeout 30 (SIGTERM: in-flight requests finish),
#   keepalive 5, access log of method, path, status, size and duration: never a query
#   string or a body (patient data).
# Command-line options (-b, -w ...) override these. Plain gunicorn has no drain period:
# `carebridge serve` first answers 503 on /health for CAREBRIDGE_DRAIN_SECONDS.
from carebridge.config import Settings
from carebridge.web.server import gunicorn_options

globals().update(gunicorn_options("127.0.0.1:8080", 2, Settings.from_env()))
