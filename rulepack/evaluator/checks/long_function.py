"""long-function: functions longer than the ``max_function_lines`` parameter."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, ModuleCheck
from rulepack.evaluator.checks.common import int_param

MAX_LINES_PARAM = "max_function_lines"
DEFAULT_MAX_LINES = 30


def _function(name: str, body_lines: int, indent: str = "") -> str:
    """Source of a function of ``body_lines + 1`` lines (for the cases)."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines - 1))
    return f"{indent}def {name}() -> int:\n{body}{indent}    return 0\n"


class LongFunction(ModuleCheck):
    """Functions longer than ``max_function_lines``.

    ## What it does
    Finds functions and methods longer than ``max_function_lines`` (default 30) physical lines,
    counted from the ``def`` line to the function's last line; decorators and trailing comments
    after the last statement are not counted. A nested function is measured on its own too (and
    its lines also count toward the function around it).

    ## Why is this bad?
    Long functions do several things; short ones are easier to name, test and review, and
    assistants edit them more reliably.
    """

    id = "long-function"
    summary = "function is longer than `max_function_lines` lines"
    params = (MAX_LINES_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(_function("exactly_thirty", 29), note="30 lines is the limit"),
        Case.good(
            "import functools\n\n\n" + "@functools.cache\n" * 5 + _function("decorated", 29),
            note="decorator lines do not count",
        ),
        Case.good(
            "class Service:\n" + _function("method", 20, indent="    ") + "    # a comment\n" * 20,
            note="comments after the last statement do not count",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_function("thirty_one", 30)),
        Case.bad(
            "class Service:\n    async " + _function("method", 40, indent="    ").lstrip(),
            note="an async method",
        ),
        Case.bad(
            "def outer() -> None:\n"
            + _function("inner", 35, indent="    ")
            + "    inner()\n"
            + _function("short", 3),
            hits=2,
            note="a nested function is reported on its own, and the outer function around it",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report functions longer than the limit."""
        limit = int_param(self.context.params, MAX_LINES_PARAM, DEFAULT_MAX_LINES)
        position = self.get_metadata(PositionProvider, node)
        lines = position.end.line - position.start.line + 1
        if lines > limit:
            self.report(
                node.name,
                f"function `{node.name.value}` is {lines} lines long (at most {limit}); "
                "split it into named helpers",
            )
