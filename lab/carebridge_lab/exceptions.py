"""Errors of the one-machine cluster tools (``carebridge cluster`` and ``exercise``).

ClusterError
 ├── ToolMissing       PostgreSQL or HAProxy is not installed (and could not be)
 ├── NodeFailed        a node did not come up; carries the end of its log
 └── ChaosFailed       an event of the chaos loop could not be carried out
"""

from __future__ import annotations


class ClusterError(Exception):
    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class ToolMissing(ClusterError):
    pass


class NodeFailed(ClusterError):
    pass


class ChaosFailed(ClusterError):
    pass
