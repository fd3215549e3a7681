"""What mypy saw: the interpreter whose site-packages it read and the library versions there.

mypy's verdicts on FastAPI code depend on the installed fastapi, pydantic, SQLAlchemy, ... so the
report states them. rulepack's own (bundled) environment is described by reading package metadata,
never by importing the libraries. An interpreter the user names with ``--python-executable`` is
reported by path only: rulepack does not run it to ask.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from importlib import metadata

from pydantic import BaseModel, ConfigDict, Field

# Distributions evaluated FastAPI code commonly imports, in the order a report lists them.
LIBRARIES = (
    "fastapi", "starlette", "pydantic", "pydantic-settings", "sqlalchemy", "sqlmodel", "alembic",
    "asyncpg", "httpx", "uvicorn", "python-jose", "pyjwt", "passlib", "structlog", "pytest",
)  # fmt: skip


class MypyEnvironment(BaseModel):
    """The environment mypy type-checked the samples in."""

    model_config = ConfigDict(frozen=True)

    python_executable: str | None = Field(
        description="The interpreter named with --python-executable; None: rulepack's own"
    )
    python: str | None = Field(description="Version of rulepack's interpreter (bundled only)")
    mypy: str
    libraries: Mapping[str, str] = Field(
        default_factory=dict,
        description="Installed versions of the libraries mypy could see (bundled only)",
    )


def installed_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """The installed version of each distribution in ``names`` that is installed."""
    versions = {name: _version(name) for name in names}
    return {name: version for name, version in versions.items() if version is not None}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def mypy_environment(python_executable: str | None) -> MypyEnvironment:
    """Describe the environment mypy runs in for these options."""
    from mypy.version import __version__ as mypy_version  # noqa: PLC0415 - only when evaluating

    if python_executable is not None:
        return MypyEnvironment(python_executable=python_executable, python=None, mypy=mypy_version)
    return MypyEnvironment(
        python_executable=None,
        python=platform.python_version(),
        mypy=mypy_version,
        libraries=installed_versions(),
    )
