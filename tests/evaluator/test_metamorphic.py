"""Score validity: relations between the scores of a fixture app and its variants.

* Planting violations, one after another, never raises the score.
* Fixing violations, one after another, never lowers it.
* Renaming or moving a file without changing what its code does leaves every rule's result as it
  was. The renames keep the importers' import order (``user_service`` becomes ``member_service``,
  which sorts where it did), since import order is code QLT003 judges; the move turns a module
  into a package (``app/config.py`` to ``app/config/__init__.py``), which keeps its import name,
  so no line of code changes. Moves that change meaning (into ``tests/``, a router into the
  services layer) are left out on purpose.
* exemplary > typical > poor.

Each variant is a copy of a fixture app with text edits; one ``evaluate`` call scores a baseline
and all its variants without mypy; every plant and every fix is applied in two cumulative orders,
so the relations are checked for each change and each prefix of each chain. The relation under
mypy (a violation ruff and mypy both report costs once) is checked in ``test_fixture_apps.py``,
beside the apps' own mypy run.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.results import SampleResult
from rulepack.evaluator.samples import Sample, directory_sample
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


@dataclass(frozen=True)
class Edit:
    """Replace every ``old`` in ``path`` with ``new``."""

    path: str
    old: str
    new: str


Change = tuple[Edit, ...]
USER_SERVICE = "app/services/user_service.py"
HEALTH = "app/routers/health.py"
TASKS = "app/routers/tasks.py"
TASK_SERVICE = "app/services/task_service.py"
USERS = "app/routers/users.py"

PLANTS: dict[str, Change] = {  # each turns existing, passing exemplary code into a violation
    "f-string log": (
        Edit(USER_SERVICE, 'logger.info("user_created", extra={"user_id": user.id})',
             'logger.info(f"user_created {user.id}")'),
    ),
    "no return annotation": (
        Edit(HEALTH, "async def read_liveness() -> HealthRead:", "async def read_liveness():"),
    ),
    "print": (
        Edit(HEALTH, '    """Report that the process serves requests; touches no dependency."""\n',
             '    """Report that the process serves requests; touches no dependency."""\n'
             '    print("alive")\n'),
    ),
    "== None": (Edit(USER_SERVICE, "if user is None:", "if user == None:"),),
    "unsorted imports": (
        Edit(HEALTH, "import APIRouter, status", "import status, APIRouter"),
    ),
    "generic exception": (
        Edit(USER_SERVICE, "            raise InvalidCredentialsError\n",
             '            raise Exception("invalid credentials")\n'),
    ),
}  # fmt: skip

TYPICAL_USERS = "app/services/user_service.py"
TYPICAL_PLANTS: dict[str, Change] = {  # violations added to typical, beside the ones it has
    "print": (
        Edit(TYPICAL_USERS, "user.hashed_password):\n        return None\n",
             'user.hashed_password):\n        print("bad password")\n        return None\n'),
    ),
    "no return annotation": (
        Edit(TYPICAL_USERS, "user: schemas.UserCreate) -> models.User:",
             "user: schemas.UserCreate):"),
    ),
    "sync handler": (Edit(TASKS, "async def read_tasks(", "def read_tasks("),),
    "== None": (Edit(TYPICAL_USERS, "    if not user:\n", "    if user == None:\n"),),
}  # fmt: skip
PLANTS_BY_APP = {"exemplary": PLANTS, "typical": TYPICAL_PLANTS}

FIXES: dict[str, Change] = {  # each removes violations of typical without adding others
    "status constant, raise from": (
        Edit(TASKS, "raise HTTPException(status_code=400, detail=str(e))",
             "raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=str(e)) from e"),
    ),
    "structured log": (
        Edit(TASK_SERVICE, 'logger.info(f"Created task {db_task.id} for user {owner_id}")',
             'logger.info("task_created", extra={"task_id": db_task.id, "owner_id": owner_id})'),
    ),
    "structured warning": (
        Edit(TASK_SERVICE, 'logger.warning(f"Task {db_task.id} is already completed")',
             'logger.warning("task_already_completed", extra={"task_id": db_task.id})'),
    ),
    "error suffix": (
        Edit(TASK_SERVICE, "class TaskLimitExceeded(", "class TaskLimitExceededError("),
        Edit(TASK_SERVICE, "raise TaskLimitExceeded(", "raise TaskLimitExceededError("),
        Edit(TASKS, "task_service.TaskLimitExceeded as", "task_service.TaskLimitExceededError as"),
    ),
    "cors origins": (
        Edit("app/main.py", 'allow_origins=["*"],', "allow_origins=settings.cors_origins,"),
    ),
    "status constant in users": (
        Edit(USERS, "from fastapi import APIRouter, Depends, HTTPException\n",
             "from fastapi import APIRouter, Depends, HTTPException, status\n"),
        Edit(USERS, 'raise HTTPException(status_code=404, detail="User not found")',
             "raise HTTPException(\n"
             '            status_code=status.HTTP_404_NOT_FOUND, detail="User not found"\n'
             "        )"),
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("metamorphic")


def variant(
    workdir: Path,
    app: str,
    name: str,
    edits: Sequence[Edit] = (),
    moves: Sequence[tuple[str, str]] = (),
) -> Sample:
    """A copy of fixture app ``app`` with ``moves`` (old path, new path) and ``edits`` applied."""
    root = workdir / name
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(APPS / app, root)
    for old, new in moves:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        (root / old).rename(root / new)
    for edit in edits:
        path = root / edit.path
        text = path.read_text(encoding="utf-8")
        assert edit.old in text, f"{app}/{edit.path} no longer holds {edit.old!r}"
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    return directory_sample(root, name)


def scored(
    pack: Pack, workdir: Path, samples: Sequence[Sample], *, use_mypy: bool = False
) -> list[SampleResult]:
    options = EvalOptions(cache_dir=workdir / "cache", use_mypy=use_mypy)
    return list(evaluate(pack, samples, options).samples)


def score(result: SampleResult) -> float:
    assert result.score is not None
    return result.score


def outcomes(result: SampleResult) -> dict[str, tuple[str, float | None]]:
    return {r.rule_id: (r.status.value, r.compliance) for r in result.rules}


def cumulative(workdir: Path, app: str, changes: Sequence[Change], tag: str) -> list[Sample]:
    """The app, then the app with the first change, the first two, ... (one sample each)."""
    return [
        variant(workdir, app, f"{tag}-{count}", [e for change in changes[:count] for e in change])
        for count in range(len(changes) + 1)
    ]


ORDERS = ("forward", "backward")


def ordered(table: dict[str, Change], order: str) -> list[str]:
    """Every change of ``table``, in name order or reversed (each order is one cumulative chain)."""
    names = sorted(table)
    return names if order == "forward" else names[::-1]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("app", sorted(PLANTS_BY_APP))
def test_planting_violations_never_raises_the_score(
    pack: Pack, workdir: Path, app: str, order: str
) -> None:
    plants = PLANTS_BY_APP[app]
    names = ordered(plants, order)
    samples = cumulative(workdir, app, [plants[name] for name in names], f"plant-{app}-{order}")
    results = scored(pack, workdir, samples)
    scores = [score(result) for result in results]
    assert scores == sorted(scores, reverse=True), dict(zip(["none", *names], scores, strict=True))
    # Finding counts need not rise at every step (a handler made sync leaves blocking-in-async),
    # but the planted violations are there at the end.
    assert len(results[-1].findings) > len(results[0].findings)


@pytest.mark.parametrize("order", ORDERS)
def test_fixing_violations_never_lowers_the_score(pack: Pack, workdir: Path, order: str) -> None:
    names = ordered(FIXES, order)
    samples = cumulative(workdir, "typical", [FIXES[name] for name in names], f"fix-{order}")
    results = scored(pack, workdir, samples)
    scores = [score(result) for result in results]
    assert scores == sorted(scores), dict(zip(["none", *names], scores, strict=True))
    assert len(results[-1].findings) < len(results[0].findings)


def test_every_plant_and_fix_still_applies(workdir: Path) -> None:
    """The edits match the fixture apps as they are ."""
    for app, plants in PLANTS_BY_APP.items():
        variant(workdir, app, f"all-plants-{app}", [e for c in plants.values() for e in c])
    variant(workdir, "typical", "all-fixes", [e for c in FIXES.values() for e in c])


def test_renaming_or_moving_a_file_leaves_every_result_unchanged(pack: Pack, workdir: Path) -> None:
    renamed_service = (USER_SERVICE, "app/services/member_service.py")
    to_package = ("app/config.py", "app/config/__init__.py")  # same import name, no edit
    importer = Edit("app/dependencies.py", "services.user_service", "services.member_service")
    importers = [
        Edit(path, "user_service", "member_service") for path in (USERS, "app/routers/auth.py")
    ]
    samples = [
        variant(workdir, "exemplary", "ex"),
        variant(workdir, "exemplary", "ex-renamed", [importer], [renamed_service]),
        variant(workdir, "typical", "ty"),
        variant(workdir, "typical", "ty-renamed", importers, [renamed_service]),
        variant(workdir, "typical", "ty-moved", moves=[to_package]),
        variant(workdir, "poor", "po"),
        variant(workdir, "poor", "po-renamed", [Edit("main.py", "from utils", "from helpers")],
                [("utils.py", "helpers.py")]),
    ]  # fmt: skip
    results = {result.name: result for result in scored(pack, workdir, samples)}
    for original, changed in [
        ("ex", "ex-renamed"),
        ("ty", "ty-renamed"),
        ("ty", "ty-moved"),
        ("po", "po-renamed"),
    ]:
        assert outcomes(results[changed]) == outcomes(results[original]), changed
        assert results[changed].score == results[original].score
        assert len(results[changed].findings) == len(results[original].findings)
    assert score(results["ex"]) > score(results["ty"]) > score(results["po"])
