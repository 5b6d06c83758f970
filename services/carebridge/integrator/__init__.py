"""The integrator side of OSCAR's file-based transfer: import pushes into the store.

The file format itself is ``carebridge.oscar``; ``prerequisites`` decides whether a
file may be imported; ``importer`` and ``scanner`` do the I/O.
"""
