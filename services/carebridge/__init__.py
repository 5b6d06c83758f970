"""carebridge: OSCAR integrator file transfer and HL7 v2 processing, over SOAP."""

__version__ = "0.1.0"
