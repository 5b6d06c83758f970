# gunicorn for a carebridge node, run directly:
#   gunicorn -c deploy/gunicorn.conf.py carebridge.wsgi:application
# Every option and server hook (drain on SIGTERM, /metrics across workers) is the one
# `carebridge serve` uses, built from the same settings (CAREBRIDGE_* variables and the
# CAREBRIDGE_CONFIG file). gunicorn's own command-line options (-b, -w ...) override them.
from carebridge.bootstrap import config_file_options

globals().update(config_file_options())
