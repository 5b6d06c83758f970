"""Errors of the storage layer.

StoreError
 ├── FacilityExists     a facility of that name is already registered
 └── MigrationError     the database schema is missing or behind the code
"""


class StoreError(Exception):
    """Base of every storage error."""


class FacilityExists(StoreError):
    """A facility of that name is already registered."""


class MigrationError(StoreError):
    """The database is not at the schema this code needs."""
