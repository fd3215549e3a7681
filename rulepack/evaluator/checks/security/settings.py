"""Which module of a sample is its settings module (shared by the configuration checks).

A settings module is one that defines a pydantic-settings ``BaseSettings`` subclass, or the
module at the pack parameter ``settings_module`` (default ``app/core/config.py``). Reading the
environment and declaring hosts, URLs and secrets belongs there and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.rules.model import ParamValue

SETTINGS_MODULE_PARAM = "settings_module"
DEFAULT_SETTINGS_MODULE = "app/core/config.py"
SETTINGS_BASES = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.env_settings.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)


def settings_path(params: Mapping[str, ParamValue]) -> str:
    """The ``settings_module`` parameter as a relative path (default ``app/core/config.py``)."""
    value = params.get(SETTINGS_MODULE_PARAM, DEFAULT_SETTINGS_MODULE)
    path = value if isinstance(value, str) and value.strip() else DEFAULT_SETTINGS_MODULE
    return path.strip().strip("/")


def settings_classes(project: ProjectFacts) -> frozenset[str]:
    """Qualified names of the sample's ``BaseSettings`` subclasses, at any depth.

    A base written ``BaseSettings`` without an import (a snippet) counts as pydantic-settings'.
    """
    roots = set(SETTINGS_BASES)
    for module in project.modules:
        for fact in module.classes:
            roots.update(base for base in fact.bases if base.rsplit(".", 1)[-1] == "BaseSettings")
    return project.subclasses_of(roots) - roots


def is_settings_path(path: str, params: Mapping[str, ParamValue]) -> bool:
    """Whether ``path`` is the configured settings module (``settings_module``).

    The default's ``app/`` stands for the project's package, whatever its name: with the
    default, ``mealie/core/config.py`` is the settings module of a package named ``mealie``.
    """
    configured = settings_path(params)
    if path == configured or path.endswith(f"/{configured}"):
        return True
    head, _, tail = configured.partition("/")
    return head == "app" and "/" in tail and path.endswith(f"/{tail}")


def is_settings_module(
    facts: ModuleFacts, project: ProjectFacts, params: Mapping[str, ParamValue]
) -> bool:
    """Whether a module sits at the settings path or defines a ``BaseSettings`` subclass.

    The sample's settings classes are only looked up for modules that define classes.
    """
    if is_settings_path(facts.path, params):
        return True
    if not facts.classes:
        return False
    classes = settings_classes(project)
    return any(fact.name in classes for fact in facts.classes)
