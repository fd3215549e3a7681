"""A light per-module import map: which qualified name each local name stands for.

libcst's ``QualifiedNameProvider`` resolves names through full scope analysis and costs about 60%
of a check run (catalogue §5). Checks only need to know that ``st.HTTP_404_NOT_FOUND`` is
``fastapi.status.HTTP_404_NOT_FOUND`` or that ``APIRouter`` came from ``fastapi``, so this map holds
the module's imports (read by the ``ast`` fact pass) and resolves ``Name``/``Attribute`` chains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a ``Name``/``Attribute`` chain, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head is not None else None
    return None


@dataclass(frozen=True)
class ImportMap:
    """Local names bound by imports, mapped to the qualified names they refer to."""

    module: str
    names: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a ``Name``/``Attribute`` chain, or ``None``.

        A chain whose head is not imported resolves to ``<this module>.<chain>``, so that names
        defined in the module compare equal across modules.
        """
        name = dotted(node)
        return self.resolve_dotted(name) if name is not None else None

    def resolve_dotted(self, name: str) -> str:
        """The qualified name of a dotted name such as ``st.HTTP_404_NOT_FOUND``."""
        head, _, rest = name.partition(".")
        target = self.names.get(head)
        if target is None:
            return f"{self.module}.{name}" if self.module else name
        return f"{target}.{rest}" if rest else target

    def is_one_of(self, node: cst.BaseExpression, *qualified: str) -> bool:
        """Whether ``node`` resolves to one of ``qualified``."""
        return self.resolve(node) in qualified
