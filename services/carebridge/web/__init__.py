"""The WSGI root: mounts the SOAP services and serves /health and /metrics."""
