# gunicorn settings for a carebridge node, for running gunicorn directly:
#   gunicorn -c deploy/gunicorn.conf.py carebridge.wsgi:application
# `carebridge serve` applies the same settings itself.
bind = "127.0.0.1:8080"
workers = 2
worker_class = "sync"
timeout = 120
graceful_timeout = 30  # SIGTERM: stop accepting, let in-flight requests finish
keepalive = 5
accesslog = "-"
# Method, path, status, size, duration: never a query string or a body (patient data).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus'
errorlog = "-"
proc_name = "carebridge"
control_socket_disable = True
