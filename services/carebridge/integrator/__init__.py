"""The integrator side of OSCAR's file-based transfer: import pushes into the store.

The file format itself is ``carebridge.oscar``. ``push_import`` loads one opened push
inside the caller's transaction (the use case, no files, no transport); ``import_log``
holds every query and change of the import log (FacilityService, the status page, the
CLI); ``prerequisites`` decides whether a file may be imported; ``importer`` and
``scanner`` do the file I/O and run each push in at most three transactions.
"""
