"""Entry point for gunicorn: ``gunicorn carebridge.wsgi:application``."""

from carebridge.logs import configure_logging
from carebridge.web.app import create_app

configure_logging()
application = create_app()
