"""Match a rule's ``applies_to`` globs against sample paths (``**``, ``*``, ``?``, ``{a,b}``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def _expand(glob: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", glob)
    if match is None:
        return [glob]
    head, tail = glob[: match.start()], glob[match.end() :]
    return [item for option in match.group(1).split(",") for item in _expand(head + option + tail)]


def _translate(glob: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out.append("(?:[^/]+/)*")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif glob[index] == "*":
            out.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(glob[index]))
            index += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_globs(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching a POSIX relative path against any of ``globs``."""
    parts = [_translate(expanded) for glob in globs for expanded in _expand(glob)]
    return re.compile(r"\A(?:" + "|".join(parts or ["(?!)"]) + r")\Z")


def matching(paths: Iterable[str], globs: tuple[str, ...]) -> set[str]:
    """The paths that match any of ``globs``."""
    pattern = compile_globs(globs)
    return {path for path in paths if pattern.match(path)}
