"""Errors of the MLLP door.

MllpError
 ├── ProxyHeaderError   a balancer's connection did not begin with a valid PROXY v2 header
 ├── ListenerConfigError  the listener cannot start with these settings
 └── NotStored          the database could not take the message (no ACK: the sender resends)
"""


class MllpError(Exception):
    """Base of every MLLP error."""


class ProxyHeaderError(MllpError):
    """A connection from a configured balancer did not begin with a valid PROXY v2 header."""


class ListenerConfigError(MllpError):
    """The listener's settings cannot work (bad bind, unreadable certificate, bad network)."""


class NotStored(MllpError):
    """The message could not be committed; the sender gets no ACK and resends."""
