"""Which names are FastAPI apps and routers, for the checks that find route handlers."""

from __future__ import annotations

import ast

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import ProjectFacts


def is_route_owner(name: str, project: ProjectFacts) -> bool:
    """Whether ``name`` is a FastAPI app or router: known from facts, else by its usual names.

    A name that looks like one but that the sample assigns from a class of another library
    (``app = App(...)`` of Slack's bolt, ``router = Router()`` of a message bus) is not.
    """
    if name in project.app_names or name in project.router_names:
        return True
    last = name.rsplit(".", 1)[-1]
    if not (last in {"app", "router", "api_router"} or last.endswith(("_router", "_app"))):
        return False
    return not project.cached(
        f"routes.foreign-owner.{name}", lambda: _foreign_object(name, project)
    )


def _foreign_object(name: str, project: ProjectFacts) -> bool:
    """Whether the sample assigns ``name`` at module level from a call into a non-FastAPI library.

    The module is matched by its name or, for a ``src/`` layout, by the end of its name.
    """
    module, _, variable = name.rpartition(".")
    candidates = [m for m in project.modules if m.module == module]
    if not candidates and module:
        candidates = [m for m in project.modules if m.module.endswith("." + module)]
    if len(candidates) != 1 or candidates[0].path not in project.trees:
        return False
    facts = candidates[0]
    tree = project.trees[facts.path]
    imports = import_map(tree, facts.module, facts.path)
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or not isinstance(stmt.value, ast.Call):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if not any(isinstance(t, ast.Name) and t.id == variable for t in targets):
            continue
        callee = ast_dotted(stmt.value.func)
        if callee is None or callee.split(".")[0] not in imports.names:
            return False  # defined in the module itself: a factory, perhaps of a FastAPI app
        qualified = imports.resolve_dotted(callee)
        top = qualified.split(".")[0]
        return top not in {"fastapi", "starlette"} and not any(
            top in m.module.split(".") for m in project.modules
        )
    return False
