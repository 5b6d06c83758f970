"""Entry point for gunicorn: ``gunicorn carebridge.wsgi:application``."""

import gc

from carebridge.logs import configure_logging
from carebridge.web.app import create_app

configure_logging()
application = create_app()
# Everything loaded so far lives as long as the worker: keep it out of the collector's
# scans (full collections otherwise pause requests for tens of milliseconds).
gc.freeze()
