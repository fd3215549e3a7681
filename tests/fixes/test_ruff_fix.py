"""ruff's safe fixes with rulepack's configuration, and the imports other modules rely on."""

from __future__ import annotations

from rulepack.fixes import FixKind
from rulepack.rules.model import Pack
from tests.fixes.conftest import FixFiles, assert_idempotent

RUFF_RULES = ("TYP002", "TYP004", "QLT001", "QLT003", "QLT004")


def test_safe_fixes_only(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "from typing import List, Optional\nimport os\n\n\n"
        "def f(items: List[int], name: Optional[str] = None) -> Optional[int]:\n"
        "    if not name in ('a', 'b'):\n"
        "        return None\n"
        "    if name == None:  # E711's fix is unsafe (== may be overloaded)\n"
        "        return 0\n"
        "    return len(items)\n"
    )
    run = fix_files({"app/f.py": source}, RUFF_RULES)
    assert run["app/f.py"] == (
        "def f(items: list[int], name: str | None = None) -> int | None:\n"
        "    if name not in ('a', 'b'):\n"
        "        return None\n"
        "    if name == None:  # E711's fix is unsafe (== may be overloaded)\n"
        "        return 0\n"
        "    return len(items)\n"
    )
    assert run.count(FixKind.RUFF) >= 5
    assert_idempotent(pack, run)


def test_noqa_is_respected(fix_files: FixFiles) -> None:
    source = "import os  # noqa: F401\nfrom typing import Optional\n\nx: Optional[int] = None\n"
    run = fix_files({"app/a.py": source}, RUFF_RULES)
    assert run["app/a.py"] == "import os  # noqa: F401\n\nx: int | None = None\n"


def test_names_other_modules_import_are_kept(fix_files: FixFiles, pack: Pack) -> None:
    files = {
        "app/db.py": "from sqlalchemy.orm import Session\nimport json\n\nURL = 'sqlite://'\n",
        "app/api.py": (
            "from app.db import URL, Session\n\n\ndef f(s: Session) -> str:\n    return URL\n"
        ),
    }
    run = fix_files(files, RUFF_RULES)
    assert run["app/db.py"] == (
        "import json\n\nfrom sqlalchemy.orm import Session\n\nURL = 'sqlite://'\n"
    )  # sorted, but F401 is off for the whole file: ruff cannot keep one name only
    assert run.notes == [
        "app/db.py: unused imports kept: other modules import Session from this module"
    ]
    assert_idempotent(pack, run)


def test_unused_imports_go_when_the_re_exported_ones_stay(fix_files: FixFiles) -> None:
    files = {
        "app/db.py": (
            "import json\n\nfrom sqlalchemy.orm import Session\n\n\n"
            "def session() -> Session:\n    return Session()\n"
        ),
        "app/api.py": "from app.db import Session\n\n\ndef f(s: Session) -> None:\n    pass\n",
    }
    run = fix_files(files, RUFF_RULES)
    assert run["app/db.py"] == files["app/db.py"].replace("import json\n\n", "")
    assert not run.notes


def test_star_imports_keep_every_import(fix_files: FixFiles) -> None:
    files = {
        "utils.py": "import json\nimport os\n\nX = 1\n",
        "main.py": "from utils import *\n\nprint(json.dumps(X), os.sep)\n",
    }
    run = fix_files(files, RUFF_RULES)
    assert run["utils.py"] == files["utils.py"]
    assert run.notes == [
        "utils.py: unused imports kept: other modules import json, os from this module"
    ]


def test_module_attributes_count_as_imports(fix_files: FixFiles) -> None:
    files = {
        "app/db.py": "from sqlalchemy.orm import Session\n\nURL = 'sqlite://'\n",
        "app/api.py": "from app import db\n\n\ndef f(s: db.Session) -> str:\n    return db.URL\n",
        "app/other.py": "import app.db\n\nURL = app.db.URL\n",
    }
    run = fix_files(files, RUFF_RULES)
    assert run["app/db.py"] == files["app/db.py"]
    assert run.notes == [
        "app/db.py: unused imports kept: other modules import Session from this module"
    ]


def test_unparsable_files_are_reported_and_left_alone(fix_files: FixFiles) -> None:
    files = {"app/bad.py": "def f(:\n    pass\nfrom typing import Optional\n"}
    run = fix_files(files)
    assert run.after == files
    assert run.notes == ["app/bad.py:1: not fixed: invalid syntax"]
