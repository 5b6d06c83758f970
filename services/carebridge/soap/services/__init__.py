"""The SOAP services: each a thin adapter that maps its contract onto the use cases."""
