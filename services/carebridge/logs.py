"""Logging set-up: one line per event, never a message payload."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Spyne logs client faults with a traceback, and parse errors with the whole
    # document; carebridge logs those events itself, without payloads.
    logging.getLogger("spyne").setLevel(logging.WARNING)
    # Spyne logs every Fault a service raises with its traceback; the Faults carebridge
    # raises are answers (refusals, "not supported"), and its own errors are logged by
    # soap.app. Spyne's log of what escaped a service entirely stays.
    logging.getLogger("spyne.application").setLevel(logging.CRITICAL)
    logging.getLogger("spyne.application.server").setLevel(logging.ERROR)
    logging.getLogger("spyne.application.client").setLevel(logging.CRITICAL)
    logging.getLogger("spyne.protocol.xml").setLevel(logging.CRITICAL)
    # Alembic announces its plugins and migration context at INFO whenever a command
    # opens the database; only its warnings and errors are news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
