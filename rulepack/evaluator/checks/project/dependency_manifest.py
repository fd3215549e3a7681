"""dependency-manifest: a project without pyproject.toml dependencies or requirements files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.manifests import Manifests, declared_above
from rulepack.evaluator.checks.project.support import (
    FIRST_LINE,
    anchor,
    basename,
    is_application,
    line_span,
    pyprojects,
    section_line,
    string_list,
    table,
)

OTHER_MANIFESTS = frozenset({"Pipfile", "environment.yml", "environment.yaml"})
SETUP_FILES = frozenset({"setup.py", "setup.cfg"})

_ADVICE = (
    "list the runtime packages under [project] dependencies in pyproject.toml or in "
    "requirements.txt"
)
_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"
_UTILS = "def helper() -> int:\n    return 1\n"


class DependencyManifest(ProjectCheck):
    """A project that declares its dependencies nowhere.

    ## What it does
    Reports an application project (a FastAPI app, router or routes, in two Python files or more
    or beside other files; not a one-file snippet or an installed library) with neither
    ``[project] dependencies`` nor ``[tool.poetry.dependencies]`` in a ``pyproject.toml``, no
    ``requirements*.txt`` with a requirement or an include, no ``Pipfile``, conda environment,
    ``install_requires`` in ``setup.py``/``setup.cfg`` or lock file, in the project or above its
    root up to the repository or workspace root. A ``pyproject.toml`` whose
    dependencies are dynamic counts as a declaration. It reports at the ``[project]`` table of the
    ``pyproject.toml`` when there is one, else at the module that creates the app.

    ## Why is this bad?
    Without a manifest the environment cannot be rebuilt in CI, in a container or on another
    machine, and missing packages show up only at runtime.
    """

    id = "dependency-manifest"
    summary = "the project declares no dependencies"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": _MAIN,
                "app/utils.py": _UTILS,
                "pyproject.toml": '[project]\nname = "api"\nversion = "0.1.0"\n'
                'dependencies = ["fastapi>=0.115"]\n',
            },
            hits=0,
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "requirements/base.txt": "# runtime\nfastapi==0.115.6\n",
            },
            hits=0,
            note="a requirements folder",
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "pyproject.toml": '[tool.poetry]\nname = "api"\n\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "^0.115"\n',
            },
            hits=0,
            note="Poetry",
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "pyproject.toml": '[project]\nname = "api"\ndynamic = ["dependencies"]\n',
                "requirements.in": "fastapi\n",
            },
            hits=0,
            note="dynamic dependencies",
        ),
        Case.good(_MAIN, path="main.py", note="a one-file snippet is not a project"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={"main.py": _MAIN, "utils.py": _UTILS},
            hits=1,
            note="two modules and no manifest",
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "README.md": "# API\n",
                "pyproject.toml": '[project]\nname = "api"\nversion = "0.1.0"\ndependencies = []\n'
                "\n[dependency-groups]\ndev = ['pytest>=8']\n",
                "requirements-dev.txt": "# nothing yet\n",
            },
            hits=1,
            note="an empty dependency list; only dev dependencies; an empty requirements file",
        ),
    )

    def applies(self) -> bool:
        """Application projects, not one-file snippets or installed libraries."""
        return is_application(self.project)

    def run(self) -> Iterator[Hit]:
        """Report once when nothing declares the dependencies."""
        if Manifests.of(self.project).declared or self._declared_elsewhere():
            return
        for path, text, document in pyprojects(self.project):
            if table(document, "project") is not None or table(document, "tool", "poetry"):
                line = section_line(text, "project") or section_line(text, "tool.poetry") or 1
                yield Hit(path, line_span(line), f"`{path}` declares no dependencies; {_ADVICE}")
                return
        yield Hit(
            anchor(self.project), FIRST_LINE, f"the project has no dependency manifest; {_ADVICE}"
        )

    def _declared_elsewhere(self) -> bool:
        """Includes, dynamic dependencies, Pipfile, conda, setup.py or a lock file."""
        project = self.project
        manifests = Manifests.of(project)
        if manifests.locked or declared_above(project):
            return True
        if any(basename(p) in OTHER_MANIFESTS for p in (*project.files, *project.context_files)):
            return True
        texts = (*project.texts.items(), *project.sources.items(), *project.context_texts.items())
        for path, text in texts:
            if basename(path) in SETUP_FILES and "install_requires" in text:
                return True
        for path, _ in manifests.requirement_files:
            lines = project.texts.get(path, "").splitlines()
            if any(line.strip().startswith(("-r", "-e", "--requirement")) for line in lines):
                return True
        for _, _, document in pyprojects(project):
            metadata = table(document, "project")
            if metadata is not None and "dependencies" in string_list(metadata.get("dynamic")):
                return True
        return False
