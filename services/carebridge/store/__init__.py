"""Storage: models, engine and session handling, Alembic migrations. Knows no SOAP."""
