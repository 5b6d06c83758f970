"""Who a caller is, whatever door it came in by: the facility and the identifier domains
it owns. Every use case takes a ``FacilityRef``; transports make one from their login
(WS-Security today, MLLP networks or certificates next). Imports nothing of carebridge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FacilityRef:
    """What one facility may write and read: the identifier domains it owns.

    An admin facility reads everything but still writes only in its own domains.
    """

    id: int
    name: str
    authorities: tuple[str, ...]
    is_admin: bool = False

    @property
    def default_authority(self) -> str:
        """Where an identifier sent without an assigning authority belongs."""
        return self.authorities[0] if self.authorities else self.name

    def owns(self, authority: str) -> bool:
        return authority in self.authorities

    def reads(self, authority: str) -> bool:
        """Whether the caller may see data in this domain: its own, or any as an admin."""
        return self.is_admin or self.owns(authority)
