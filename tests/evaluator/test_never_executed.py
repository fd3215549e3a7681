"""Evaluated code is never imported or run, proven through the real CLI with mypy on.

Each module below writes a marker file when it is imported. A sample holding all of them is
evaluated as a project directory, under ``--samples`` and as a single file, and no marker may
appear. The controls show the markers do appear when the same modules are imported the way
mypy used to be started (from the sample's directory), so the test can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

STDLIB_SHADOWS = ("types", "enum", "typing", "json", "re")
STARTUP_HOOKS = ("sitecustomize", "usercustomize", "conftest", "__init__")
PACKAGES = ("mypy", "pydantic")
APP = textwrap.dedent(
    """\
    import json


    def load(text: str) -> object:
        return json.loads(text)
    """
)


def _marker_code(markers: Path, name: str) -> str:
    return f"open({str(markers / name)!r}, 'w').write('imported')\n"


def _evil_modules(root: Path, markers: Path, names: tuple[str, ...]) -> None:
    for name in names:
        (root / f"{name}.py").write_text(_marker_code(markers, name))


def _evil_sample(root: Path, markers: Path, *, shadows: bool) -> Path:
    """A project whose every importable name writes a marker; ``shadows``: stdlib names too."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text(APP)
    # A project root of its own: with no pyproject.toml, the root __init__.py would make the
    # directory above the project root, and types.py would be project.types, shadowing nothing.
    (root / "pyproject.toml").write_text(f'[project]\nname = "{root.name}"\n')
    _evil_modules(root, markers, STARTUP_HOOKS + (STDLIB_SHADOWS if shadows else ()))
    for package in PACKAGES:
        (root / package).mkdir()
        (root / package / "__init__.py").write_text(_marker_code(markers, f"{package}-package"))
    (root / "evil.pth").write_text(f"import os; {_marker_code(markers, 'pth').strip()}\n")
    return root


def _rulepack_eval(tmp_path: Path, *args: str) -> dict[str, Any]:
    """``python -m rulepack eval ... --format json`` in a new process, mypy on, no result cache."""
    env = {**os.environ, "RULEPACK_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONSAFEPATH", None)  # the guarantee must not rest on the caller's environment
    completed = subprocess.run(
        [sys.executable, "-m", "rulepack", "eval", *args, "--no-cache", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def _mypy_errors(sample: dict[str, Any]) -> list[str]:
    return [error["message"] for error in sample["tool_errors"] if error["tool"] == "mypy"]


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    directory = tmp_path / "markers"
    directory.mkdir()
    return directory


def test_a_project_directory_is_never_imported(tmp_path: Path, markers: Path) -> None:
    sample = _evil_sample(tmp_path / "project", markers, shadows=True)
    report = _rulepack_eval(tmp_path, str(sample))
    assert sorted(p.name for p in markers.iterdir()) == []
    # mypy refuses a sample whose types.py shadows the standard library: a tool error, never
    # a pass, and the strict-typing rule is not checked.
    [result] = report["samples"]
    assert any("shadows library module" in message for message in _mypy_errors(result))
    qlt005 = next(rule for rule in result["rules"] if rule["rule_id"] == "QLT005")
    assert (qlt005["status"], qlt005["reason"]) == ("not_checked", "mypy failed")


def test_samples_are_never_imported_and_mypy_checks_the_clean_one(
    tmp_path: Path, markers: Path
) -> None:
    samples = tmp_path / "samples"
    _evil_sample(samples / "shadowing", markers, shadows=True)
    _evil_sample(samples / "hooks", markers, shadows=False)
    report = _rulepack_eval(tmp_path, "--samples", str(samples))
    assert sorted(p.name for p in markers.iterdir()) == []
    by_name = {sample["name"]: sample for sample in report["samples"]}
    assert _mypy_errors(by_name["shadowing"])
    # Without a stdlib name to refuse, mypy type-checks the sample: sitecustomize.py, conftest.py,
    # a root __init__.py and mypy/ and pydantic/ packages are analysed, never imported.
    assert _mypy_errors(by_name["hooks"]) == []
    qlt005 = next(rule for rule in by_name["hooks"]["rules"] if rule["rule_id"] == "QLT005")
    assert qlt005["status"] in {"passed", "failed"}


def test_a_single_file_is_checked_without_importing_its_neighbours(
    tmp_path: Path, markers: Path
) -> None:
    folder = tmp_path / "single"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    _evil_modules(folder, markers, STDLIB_SHADOWS + STARTUP_HOOKS)
    report = _rulepack_eval(tmp_path, str(folder / "app.py"))
    assert sorted(p.name for p in markers.iterdir()) == []
    [result] = report["samples"]
    assert _mypy_errors(result) == []  # json.py beside the file is neither staged nor imported


def test_control_importing_from_the_sample_directory_writes_the_marker(
    tmp_path: Path, markers: Path
) -> None:
    """The markers work: started the old way, from the sample's directory, Python imports them."""
    sample = _evil_sample(tmp_path / "project", markers, shadows=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONSAFEPATH"}
    subprocess.run(
        [sys.executable, "-c", "import json"], cwd=sample, env=env, check=False, timeout=60
    )
    assert (markers / "json").exists()


def test_a_virtualenv_python_inside_the_sample_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "venv-python-ran"
    sample = tmp_path / "project"
    (sample / "app").mkdir(parents=True)
    (sample / "app" / "main.py").write_text(APP)
    for folder in (".venv/bin", "venv/bin"):
        python = sample / folder / "python"
        python.parent.mkdir(parents=True)
        python.write_text(f'#!/bin/sh\ntouch {marker}\nexec {sys.executable} "$@"\n')
        python.chmod(0o755)
    (sample / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    report = _rulepack_eval(tmp_path, str(sample))
    assert not marker.exists()
    [result] = report["samples"]
    assert _mypy_errors(result) == []
    assert report["environment"]["python_executable"] is None
    # Control: the stand-in interpreter does leave the marker when it is run.
    subprocess.run([str(sample / ".venv/bin/python"), "-c", "pass"], check=True, timeout=60)
    assert marker.exists()
