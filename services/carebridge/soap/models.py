"""How the services spell their element cardinalities, as the contracts' JAX-WS/JAXB shapes
have them: never nillable; optional, required or repeated."""

from __future__ import annotations

from typing import Any


def optional(kind: Any) -> Any:
    return kind.customize(min_occurs=0, nillable=False)


def required(kind: Any) -> Any:
    return kind.customize(min_occurs=1, nillable=False)


def repeated(kind: Any) -> Any:
    return kind.customize(min_occurs=0, max_occurs="unbounded", nillable=False)
