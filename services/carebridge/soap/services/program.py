"""placeholder"""

from __future__ import annotations

from carebridge.soap import catalogue

HANDLERS: dict[str, catalogue.Handler] = {}
