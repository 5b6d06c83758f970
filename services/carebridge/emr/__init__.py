"""The EMR side of OSCAR's file transfer: export push files, ship them, check their status.

``schema`` maps the OSCAR tables the exporter reads (``database`` opens them);
``exporter`` decides full or delta and writes pushes with ``carebridge.oscar``, the
objects built by ``transfer_objects``; ``shipper`` copies them to the integrator;
``status_check`` asks the integrator (zeep) and updates IntegratorFileLog (``filelog``).
"""
