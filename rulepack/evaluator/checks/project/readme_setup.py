"""readme-setup: no README, or a README without a setup section and an install command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.project.support import (
    FIRST_LINE,
    anchor,
    basename,
    dirname,
    is_application,
    line_span,
    root_first,
)

README = re.compile(r"^readme(\.(md|markdown|rst|txt))?$", re.IGNORECASE)
SETUP_WORDS = re.compile(
    r"\b(set[ -]?up|install(ation|ing)?|getting started|get started|quick[ -]?start)\b",
    re.IGNORECASE,
)
INSTALL_COMMAND = re.compile(
    r"\b(pip3? install|python3? -m pip install|uv sync|uv pip install|uv add|poetry install|"
    r"pipenv install|pdm (install|sync)|hatch env create|conda env create|make install|"
    r"docker[ -]compose (up|run|build)|(npm|pnpm|yarn) install)\b",
    re.IGNORECASE,
)
# Relative links to another document: Markdown ``[text](path)`` and reStructuredText
# ``\`text <path>\`_``; anchors and query strings are dropped.
LINK = re.compile(r"\]\(\s*<?([^)\s>#?]+)|`[^`<]*<([^>#?`]+)>`_")
SETUP_DOCUMENTS = frozenset({"development.md", "contributing.md", "install.md", "setup.md"})
MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")  # rst and setext underlines
HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE)

_GOOD = (
    "# Users API\n\n## Setup\n\n```bash\nuv sync\ncp .env.example .env\n"
    "uv run alembic upgrade head\nuv run uvicorn app.main:app --reload\n```\n"
)
_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def headings(text: str) -> Iterator[tuple[int, str]]:
    """``(line, title)`` of Markdown (ATX and setext), reStructuredText and HTML headings."""
    lines = text.splitlines()
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = MARKDOWN_HEADING.match(line)
        if match:
            yield index + 1, match.group(1)
        elif line.strip() and index + 1 < len(lines) and UNDERLINE.match(lines[index + 1]):
            yield index + 1, line.strip()
        for html in HTML_HEADING.finditer(line):
            yield index + 1, html.group(1)


def readme_problems(text: str) -> list[str]:
    """What a README lacks: setup instructions, i.e. the command that installs the project.

    The commands count under any heading (``## Local development`` with ``uv sync`` in a code
    block documents the setup as well as ``## Setup`` does); a Setup heading without a command
    does not.
    """
    if INSTALL_COMMAND.search(text):
        return []
    problems = ["no install command (uv sync, pip install -r requirements.txt ...)"]
    if not any(SETUP_WORDS.search(title) for _, title in headings(text)):
        problems.insert(0, "no Setup / Installation / Getting started heading")
    return problems


def linked_documents(readme: str, text: str) -> list[str]:
    """Sample paths of the local documents a README links to (``[Development](development.md)``)."""
    folder = readme.rsplit("/", 1)[0] if "/" in readme else ""
    found: list[str] = []
    for match in LINK.finditer(text):
        target = (match.group(1) or match.group(2) or "").strip()
        if not target or "://" in target or target.startswith(("mailto:", "/")):
            continue
        parts: list[str] = [p for p in folder.split("/") if p]
        for part in target.split("/"):
            if part == "..":
                if not parts:
                    break
                parts.pop()
            elif part not in {"", "."}:
                parts.append(part)
        else:
            found.append("/".join(parts))
    return found


def setup_document(project: ProjectFacts, readme: str, text: str) -> str | None:
    """A document with setup commands that the README links to, or beside it by a usual name."""
    beside = [
        path
        for path in project.texts
        if dirname(path) == dirname(readme) and basename(path).lower() in SETUP_DOCUMENTS
    ]
    candidates = [*linked_documents(readme, text), *beside]
    for path in candidates:
        linked = project.texts.get(path)
        if linked is not None and path != readme and INSTALL_COMMAND.search(linked):
            return path
    return None


class ReadmeSetup(ProjectCheck):
    """No README, or a README without setup instructions.

    ## What it does
    Looks for a ``README`` (``.md``, ``.rst``, ``.txt`` or none) at the root of the project, else
    the shallowest one, and reports when there is none, or when neither it nor a document it
    links to (or a ``development.md``/``CONTRIBUTING.md`` beside it) gives an install command
    (``pip install``, ``uv sync``, ``uv pip install``, ``poetry install``, ``pipenv install``,
    ``pdm install``, ``conda env create``, ``make install``, ``docker compose up``,
    ``npm install``), under any heading. A Setup heading without a command is not setup
    instructions. It applies to application projects (a FastAPI app, router or routes), not to
    one-file snippets or installed libraries.

    ## Why is this bad?
    A new developer, a CI job or an assistant needs the exact commands to install, configure, run
    and test the project; without them every setup is guesswork.
    """

    id = "readme-setup"
    summary = "README is missing or has no setup instructions"
    good: ClassVar[tuple[Case, ...]] = (
        Case({"README.md": _GOOD, "app/main.py": _MAIN}, 0),
        Case(
            {
                "README.rst": "Users API\n=========\n\nInstallation\n------------\n\n"
                "::\n\n    pip install -r requirements.txt\n",
                "app/main.py": _MAIN,
            },
            0,
            note="reStructuredText headings",
        ),
        Case(
            {
                "backend/README.md": "Getting started\n---------------\n\n"
                "Run `poetry install`, then `make run`.\n",
                "backend/app/main.py": _MAIN,
            },
            0,
            note="a setext heading; the README of a subdirectory when the root has none",
        ),
        Case(
            {
                "README.md": "# Task API\n\n## Running locally\n\n```console\n$ uv sync\n"
                "$ uv run fastapi dev\n```\n",
                "app/main.py": _MAIN,
            },
            0,
            note="install and run commands in a code block under a differently named heading",
        ),
        Case(
            {
                "README.md": "# Task API\n\nTo hack on it, read "
                "[development](./docs/development.md).\n",
                "docs/development.md": "## Local environment\n\n    pip install -e .[dev]\n",
                "app/main.py": _MAIN,
            },
            0,
            note="setup commands in a development guide the README links to",
        ),
        Case.good(_MAIN, path="main.py", note="a one-file snippet is not a project"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            {
                "README.md": "# Users API\n\nA FastAPI service that manages users.\n",
                "app/main.py": _MAIN,
            },
            1,
            note="no setup section and no install command",
        ),
        Case(
            {
                "README.md": "# Task API\n\n```bash\n# Setup\n```\n\n## Installation\n\n"
                "Ask the platform team. See [the guide](docs/guide.md).\n",
                "docs/guide.md": "# Guide\n\nNothing about installing.\n",
                "app/main.py": _MAIN,
            },
            1,
            note="'# Setup' inside a code block, a setup heading without a command, a linked "
            "document without one either",
        ),
        Case({"main.py": _MAIN, "utils.py": ""}, 1, note="no README at all"),
    )

    def applies(self) -> bool:
        """Application projects, not one-file snippets or installed libraries."""
        return is_application(self.project)

    def run(self) -> Iterator[Hit]:
        """Report a missing README at the app, or what the README lacks at its first line."""
        readmes = root_first([path for path in self.project.files if README.match(basename(path))])
        if not readmes:
            yield Hit(
                anchor(self.project),
                FIRST_LINE,
                "the project has no README.md; add one with a Setup section giving the install, "
                "configure, migrate, run and test commands",
            )
            return
        path = readmes[0]
        text = self.project.texts.get(path)
        if text is None:
            return  # too large or not text: nothing to judge
        problems = readme_problems(text)
        if problems and setup_document(self.project, path, text) is None:
            yield Hit(
                path,
                line_span(1),
                f"`{path}` has {' and '.join(problems)}; add a Setup section with the exact "
                "commands to install dependencies, configure .env, run and test the app",
            )
