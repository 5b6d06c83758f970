"""The EMR side of OSCAR's file transfer: export push files, ship them, check their status.

``schema`` maps the OSCAR tables the exporter reads; ``exporter`` decides full or
delta and writes pushes with ``carebridge.oscar``; ``shipper`` copies them to the
integrator; ``status_check`` asks the integrator (zeep) and updates IntegratorFileLog.
"""
