"""The integrator side of OSCAR's file-based transfer.

``pushfile`` and ``javaser`` read push files (pure: bytes in, records out);
``prerequisites`` decides whether a file may be imported; ``importer`` and
``scanner`` do the I/O; ``facility_service`` is the SOAP face OSCAR calls.
"""
