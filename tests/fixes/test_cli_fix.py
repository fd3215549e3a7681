"""``rulepack fix PATH [--diff]`` end to end, and the issue's done-when on the poor app."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from rulepack.cli import main
from rulepack.evaluator.bindings import bindings_for, mypy_config, select_rules
from rulepack.evaluator.engine import EvalOptions, _codes_off_by_default, evaluate
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.runners.mypy import MypyRun, run_mypy
from rulepack.evaluator.samples import discover
from rulepack.rules.model import Pack
from tests.conftest import REPO

POOR = REPO / "fixtures" / "apps" / "poor"
BROKEN = "from fastapi import HTTPException\n\n\ndef f(:\n    raise HTTPException(404)\n"
FIXABLE = "from fastapi import HTTPException\n\n\ndef f() -> None:\n    raise HTTPException(404)\n"


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    code = exited.value.code if isinstance(exited.value.code, int) else 0
    return code, captured.out, captured.err


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_diff_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "api.py").write_text(FIXABLE)
    (project / "broken.py").write_text(BROKEN)
    before = snapshot(tmp_path)
    code, out, err = run_main(["fix", str(project), "--diff", "--select", "ERR001"], capsys)
    assert code == 0
    assert snapshot(tmp_path) == before
    assert "-    raise HTTPException(404)\n" in out
    assert "+    raise HTTPException(status.HTTP_404_NOT_FOUND)\n" in out
    assert "broken.py:4: not fixed: invalid syntax" in err
    assert "diff: 1 file(s) would change (1 status code)" in err


def test_fix_writes_and_reports_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "api.py").write_text(FIXABLE)
    (tmp_path / "other.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["fix", "api.py", "--select", "ERR001"], capsys)
    assert code == 0
    assert out == "fixed api.py: 1 status code\n"
    assert err == "fixed 1 file(s) (1 status code)\n"
    assert "status.HTTP_404_NOT_FOUND" in (tmp_path / "api.py").read_text()
    code, out, err = run_main(["fix", "api.py", "--select", "ERR001"], capsys)
    assert (code, out, err) == (0, "", "fixed 0 file(s) (nothing)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fix", "absent.py"], "error: absent.py: no such file or directory\n"),
        (["fix"], "error: nothing to evaluate"),
        (["fix", "notes.txt"], "not a Python file"),
        (["fix", ".", "--select", "NOPE"], "no rule id or section prefix matches 'NOPE'"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "notes.txt").write_text("notes\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert message in err


def test_files_outside_the_paths_are_not_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    (outside / "api.py").write_text(FIXABLE)
    (inside / "link.py").symlink_to(outside / "api.py")
    (inside / "api.py").write_text(FIXABLE)
    code, _, _ = run_main(["fix", str(inside)], capsys)
    assert code == 0
    assert (outside / "api.py").read_text() == FIXABLE
    assert (inside / "link.py").is_symlink()
    assert "status.HTTP_404_NOT_FOUND" in (inside / "api.py").read_text()


def mypy_codes(pack: Pack, root: Path, cache: Path) -> set[str]:
    bindings = bindings_for(pack, select_rules(pack, (), ()))
    config = cache / "mypy.ini"
    config.write_text(mypy_config(bindings, _codes_off_by_default()))
    sources = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.py")}
    run = MypyRun(sources, config, cache / "mypy", PythonVersion.newest(), None, 300)
    hits, error = run_mypy(run)
    assert error is None
    return {hit.code for hit in hits}


def test_fix_raises_the_poor_apps_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pack: Pack
) -> None:
    app = tmp_path / "poor"
    shutil.copytree(POOR, app)
    options = EvalOptions(use_mypy=False, cache_dir=tmp_path / "cache", use_cache=False)
    before = evaluate(pack, discover([app]), options).score
    codes_before = mypy_codes(pack, app, tmp_path)
    code, out, _ = run_main(["fix", str(app)], capsys)
    assert code == 0
    assert out.count("fixed ") == 2
    after = evaluate(pack, discover([app]), options).score
    assert before is not None
    assert after is not None
    assert after > before
    for path in app.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))
    assert mypy_codes(pack, app, tmp_path) <= codes_before
    main_py = (app / "main.py").read_text()
    assert "lifespan=lifespan" in main_py
    assert "model_config = ConfigDict(from_attributes=True)" in main_py
    assert "raise HTTPException(status.HTTP_401_UNAUTHORIZED)" in main_py
