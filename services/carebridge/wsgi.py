"""Entry point for WSGI servers:
``gunicorn -c deploy/gunicorn.conf.py carebridge.wsgi:application``.

Settings come from the environment and CAREBRIDGE_CONFIG, as ``carebridge serve`` reads them
(which hands its own Settings object to its workers instead of importing this module)."""

from carebridge.bootstrap import web_application
from carebridge.config import Settings

application = web_application(Settings.from_env())
