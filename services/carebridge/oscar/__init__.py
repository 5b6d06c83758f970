"""The OSCAR push transfer format, both ways: Java serialization read and write, the
integrator class catalogue, the push archive. Pure: no database, no SOAP, no files
written; imports nothing else of carebridge. The importer and the EMR exporter both
depend on it and never on each other.
"""
