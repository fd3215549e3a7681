"""dev-dependencies-separated: test and tooling packages among the production dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.manifests import Manifests, is_dev_package
from rulepack.evaluator.checks.project.support import line_span


class DevDependenciesSeparated(ProjectCheck):
    """Test and tooling packages among the production dependencies.

    ## What it does
    Reports pytest and its plugins (``pytest-*``), ruff, mypy, black, flake8 and its plugins,
    coverage, isort, pylint, pre-commit, tox, nox, bandit, pyright, autopep8 and yapf listed in a
    production manifest: a requirements file whose name does not mark it as dev, test, lint, CI
    or docs (``requirements.txt``, ``requirements/base.txt``), ``[project] dependencies`` or
    ``[tool.poetry.dependencies]``. ``[dependency-groups]``, optional extras, Poetry groups and
    ``requirements-dev.txt``-style files are where they belong.

    ## Why is this bad?
    Dev tools in the production set enlarge images and the attack surface and pull in versions
    that can conflict with runtime packages.
    """

    id = "dev-dependencies-separated"
    summary = "dev dependency in the production dependencies"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "pyproject.toml": '[project]\nname = "api"\nversion = "0.3.0"\n'
                'dependencies = ["fastapi>=0.115", "mypy-extensions>=1.0"]\n\n'
                '[project.optional-dependencies]\ntest = ["pytest>=8.3"]\n\n'
                '[dependency-groups]\ndev = ["pytest>=8.3", "ruff>=0.8", "mypy>=1.14"]\n\n'
                '[tool.poetry.group.dev.dependencies]\nblack = "^24"\n',
            },
            hits=0,
            note="groups, extras and runtime packages whose names look like tools",
        ),
        Case(
            files={
                "requirements.txt": "fastapi==0.115.6\nhttpx==0.28.1\n",
                "requirements-dev.txt": "-r requirements.txt\npytest==8.3.4\nruff==0.8.4\n",
                "requirements/test.txt": "pytest-asyncio==0.25.0\n",
                "dev-requirements.txt": "coverage[toml]==7.6\n",
            },
            hits=0,
            note="dev, test and dev-prefixed requirements files",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "requirements.txt": "fastapi==0.115.6\nsqlalchemy[asyncio]==2.0.36\n"
                "pytest==8.3.4\npytest-asyncio==0.25.0\nruff==0.8.4\n",
            },
            hits=3,
        ),
        Case(
            files={
                "pyproject.toml": '[project]\nname = "api"\nversion = "0.3.0"\n'
                'dependencies = [\n  "fastapi>=0.115",\n  "Pytest_Cov>=6",\n]\n\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\nmypy = "^1.14"\n',
                "requirements/base.txt": "flake8-bugbear==24.1\n",
            },
            hits=3,
            note="names in other spellings, Poetry main dependencies, a base requirements file",
        ),
    )

    def applies(self) -> bool:
        """Samples that declare dependencies somewhere."""
        return Manifests.of(self.project).declared

    def run(self) -> Iterator[Hit]:
        """Report each dev package of a production manifest at its line."""
        for requirement in Manifests.of(self.project).production():
            if is_dev_package(requirement.name):
                yield Hit(
                    requirement.path,
                    line_span(requirement.line),
                    f"`{requirement.name}` is a dev tool in the production dependencies of "
                    f"`{requirement.path}`; move it to requirements-dev.txt or a dev dependency "
                    "group",
                )
