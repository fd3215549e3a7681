"""A light per-module import map: which qualified name each local name stands for.

libcst's ``QualifiedNameProvider`` resolves names through full scope analysis and costs about 60%
of a check run (catalogue §5). Checks only need to know that ``st.HTTP_404_NOT_FOUND`` is
``fastapi.status.HTTP_404_NOT_FOUND`` or that ``APIRouter`` came from ``fastapi``, so this map reads
the module's imports once and resolves ``Name``/``Attribute`` chains against them.
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


def _module_name(node: cst.Attribute | cst.Name) -> str:
    name = dotted(node)
    return name or ""


def _absolute(module: str | None, dots: int, package: str) -> str:
    """Resolve ``from ..x import y`` against the importing module's package."""
    if dots == 0:
        return module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (dots - 1)] if dots - 1 <= len(parts) else []
    return ".".join([*base, *([module] if module else [])])


@dataclass(frozen=True)
class ImportMap:
    """Local names bound by imports, mapped to the qualified names they refer to."""

    module: str
    names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, module: cst.Module, module_name: str) -> ImportMap:
        """Read every ``import`` and ``from ... import`` in ``module`` (at any depth)."""
        package = module_name.rsplit(".", 1)[0] if "." in module_name else ""
        collector = _ImportCollector(package)
        module.visit(collector)
        return cls(module=module_name, names=dict(collector.names))

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a ``Name``/``Attribute`` chain, or ``None``.

        A chain whose head is not imported resolves to ``<this module>.<chain>``, so that names
        defined in the module compare equal across modules.
        """
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.names.get(head)
        if target is None:
            return f"{self.module}.{name}" if self.module else name
        return f"{target}.{rest}" if rest else target

    def is_one_of(self, node: cst.BaseExpression, *qualified: str) -> bool:
        """Whether ``node`` resolves to one of ``qualified``."""
        return self.resolve(node) in qualified


class _ImportCollector(cst.CSTVisitor):
    def __init__(self, package: str) -> None:
        super().__init__()
        self.package = package
        self.names: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.names[head] = head

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = _module_name(node.module) if node.module is not None else None
        base = _absolute(module, len(node.relative), self.package)
        for alias in node.names:
            imported = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
            if imported is None:
                continue
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{base}.{imported}" if base else imported
