"""readme-setup: no README, or a README without a setup section and an install command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.support import (
    FIRST_LINE,
    anchor,
    basename,
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
    r"pipenv install|pdm (install|sync)|hatch env create|conda env create|make install)\b",
    re.IGNORECASE,
)
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
    """What a README lacks: a setup heading, an install command."""
    problems: list[str] = []
    if not any(SETUP_WORDS.search(title) for _, title in headings(text)):
        problems.append("no Setup / Installation / Getting started heading")
    if not INSTALL_COMMAND.search(text):
        problems.append("no install command (uv sync, pip install -r requirements.txt ...)")
    return problems


class ReadmeSetup(ProjectCheck):
    """No README, or a README without setup instructions.

    ## What it does
    Looks for a ``README`` (``.md``, ``.rst``, ``.txt`` or none) at the root of the project, else
    the shallowest one, and reports when there is none, or when it has no heading about setup
    (Setup, Set up, Installation, Install, Getting started, Quick start) or no install command
    (``pip install``, ``uv sync``, ``uv pip install``, ``poetry install``, ``pipenv install``,
    ``pdm install``, ``conda env create``, ``make install``). Headings inside code blocks do not
    count. It applies to application projects (a FastAPI app, router or routes), not to one-file
    snippets or installed libraries.

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
                "README.md": "# Task API\n\n## Running\n\n```bash\npip install -r requirements.txt"
                "\n# Setup\n```\n",
                "app/main.py": _MAIN,
            },
            1,
            note="an install command under 'Running'; '# Setup' inside a code block",
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
        if problems:
            yield Hit(
                path,
                line_span(1),
                f"`{path}` has {' and '.join(problems)}; add a Setup section with the exact "
                "commands to install dependencies, configure .env, run and test the app",
            )
