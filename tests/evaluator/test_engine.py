"""The evaluator end to end on small samples: isolation from the sample's own configs,
robustness to bad files and crashing tools, caching, parallel runs and the score gate."""

from __future__ import annotations

import json
import textwrap
from functools import cache
from pathlib import Path

import pytest

from rulepack.cli import main
from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.finding import Tool
from rulepack.evaluator.results import EvalReport, RuleStatus, SampleResult
from rulepack.evaluator.samples import discover
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack

ROUTES = textwrap.dedent(
    """\
    from fastapi import FastAPI, HTTPException

    app = FastAPI()


    @app.get("/users/{user_id}")
    def get_user(user_id: int) -> dict[str, int]:
        if user_id < 0:
            raise HTTPException(404, detail="no such user")  # noqa: ERR001
        return {"id": user_id}
    """
)


@cache
def pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run(tmp_path: Path, root: Path, **options: object) -> EvalReport:
    settings = {"cache_dir": tmp_path / "cache", "use_cache": False, **options}
    return evaluate(pack(), discover([root]), EvalOptions(**settings))  # type: ignore[arg-type]


def rule(sample: SampleResult, rule_id: str) -> tuple[RuleStatus, float | None]:
    result = next(r for r in sample.rules if r.rule_id == rule_id)
    return result.status, result.compliance


def test_findings_map_to_rules_and_noqa_is_ignored_and_counted(tmp_path: Path) -> None:
    root = write(tmp_path / "s", {"app/main.py": ROUTES})
    sample = run(tmp_path, root, use_mypy=False).samples[0]
    codes = {(f.rule_id, f.code) for f in sample.findings}
    assert ("FAS001", "sync-route-handler") in codes
    assert ("ERR001", "literal-status-code") in codes
    assert ("DOC001", "D100") in codes
    assert sample.suppressions.noqa == 1
    assert rule(sample, "FAS001") == (RuleStatus.FAILED, 0.0)
    assert rule(sample, "SEC006")[0] is RuleStatus.PASSED  # no CORS wildcard
    assert rule(sample, "DBS001")[0] is not RuleStatus.FAILED
    assert rule(sample, "STY001") == (RuleStatus.NOT_CHECKED, None)  # review only
    assert sample.score is not None
    assert 0 < sample.score < 100


def test_the_samples_own_ruff_config_is_ignored(tmp_path: Path) -> None:
    ignore_all = '[tool.ruff.lint]\nper-file-ignores = {"*.py" = ["ALL"]}\n'
    root = write(tmp_path / "s", {"app/main.py": "import os\n", "pyproject.toml": ignore_all})
    sample = run(tmp_path, root, use_mypy=False).samples[0]
    assert ("QLT004", "F401") in {(f.rule_id, f.code) for f in sample.findings}


def test_a_mypy_plugin_named_by_the_sample_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "plugin-ran"
    plugin = f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n"
    plugin += "def plugin(version):\n    from mypy.plugin import Plugin\n    return Plugin\n"
    root = write(
        tmp_path / "s",
        {
            "app/main.py": "def f(x):\n    return x\n",
            "mypy.ini": "[mypy]\nplugins = evil_plugin.py\n",
            "setup.cfg": "[mypy]\nplugins = evil_plugin.py\n",
            "pyproject.toml": '[tool.mypy]\nplugins = ["evil_plugin.py"]\n',
            "evil_plugin.py": plugin,
        },
    )
    sample = run(tmp_path, root).samples[0]
    assert not marker.exists()
    assert ("TYP001", "no-untyped-def") in {(f.rule_id, f.code) for f in sample.findings}
    assert all(error.tool is not Tool.MYPY for error in sample.tool_errors)


def test_syntax_errors_and_binary_files_are_reported_not_fatal(tmp_path: Path) -> None:
    root = write(
        tmp_path / "s",
        {
            "app/main.py": ROUTES,
            "app/broken.py": "def broken(:\n    pass\n",
            "app/blob.py": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        },
    )
    sample = run(tmp_path, root).samples[0]
    assert [(f.path, f.reason, f.message) for f in sample.unparsed] == [
        ("app/blob.py", "cannot read", "binary file, not Python source"),
        ("app/broken.py", "syntax error", "syntax error at line 1: invalid syntax"),
    ]
    assert not sample.tool_errors  # each file is reported once, as not parsed
    result = next(r for r in sample.rules if r.rule_id == "QLT011")
    # B006: nothing in main.py; the two unreadable files leave the denominator.
    assert (result.status, result.compliance, result.files_applicable) == (RuleStatus.PASSED, 1, 1)
    assert result.unparsed == "2 files not parsed: cannot read; syntax error"
    assert ("FAS001", "sync-route-handler") in {(f.rule_id, f.code) for f in sample.findings}


def test_a_crashing_tool_is_reported_on_the_sample_and_the_run_goes_on(tmp_path: Path) -> None:
    broken_python = write(tmp_path / "bin", {"python": "#!/bin/sh\nexit 3\n"}) / "python"
    broken_python.chmod(0o755)
    root = write(tmp_path / "s", {"app/main.py": ROUTES})
    sample = run(tmp_path, root, python_executable=str(broken_python)).samples[0]
    assert any(error.tool is Tool.MYPY for error in sample.tool_errors)
    assert rule(sample, "QLT005") == (RuleStatus.NOT_CHECKED, None)
    assert rule(sample, "FAS001")[0] is RuleStatus.FAILED  # custom checks still ran


def test_cache_makes_a_rerun_reuse_results(tmp_path: Path) -> None:
    root = write(tmp_path / "s", {"app/main.py": ROUTES})
    first = run(tmp_path, root, use_mypy=False, use_cache=True).samples[0]
    second = run(tmp_path, root, use_mypy=False, use_cache=True).samples[0]
    assert (first.cached, second.cached) == (False, True)
    assert second.findings == first.findings
    assert second.score == first.score
    (root / "app/main.py").write_text(ROUTES.replace("def get_user", "async def get_user"))
    third = run(tmp_path, root, use_mypy=False, use_cache=True).samples[0]
    assert not third.cached
    assert rule(third, "FAS001")[0] is RuleStatus.PASSED


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for index in range(3):
        body = ROUTES if index % 2 else ROUTES.replace("def get_user", "async def get_user")
        write(corpus / f"sample{index}", {"app/main.py": body})
    samples = discover([], corpus)
    options = {"cache_dir": tmp_path / "cache", "use_cache": False, "use_mypy": False}
    serial = evaluate(pack(), samples, EvalOptions(jobs=1, **options))  # type: ignore[arg-type]
    parallel = evaluate(pack(), samples, EvalOptions(jobs=2, **options))  # type: ignore[arg-type]
    assert [s.name for s in parallel.samples] == ["sample0", "sample1", "sample2"]
    assert [s.findings for s in serial.samples] == [s.findings for s in parallel.samples]
    assert serial.score == parallel.score


def test_select_and_ignore(tmp_path: Path) -> None:
    root = write(tmp_path / "s", {"app/main.py": ROUTES})
    only_fastapi = run(tmp_path, root, use_mypy=False, select=["FAS"]).samples[0]
    assert {r.rule_id[:3] for r in only_fastapi.rules} == {"FAS"}
    without = run(tmp_path, root, use_mypy=False, select=["FAS"], ignore=["FAS001"]).samples[0]
    assert "FAS001" not in {r.rule_id for r in without.rules}


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path / "s", {"app/main.py": ROUTES})
    args = ["eval", str(root), "--no-mypy", "--no-cache", "--format", "json"]
    with pytest.raises(SystemExit) as exited:
        main([*args, "--fail-under", "99"])
    assert exited.value.code == 1
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == 1
    assert document["passed"] is False
    with pytest.raises(SystemExit) as exited:
        main([*args, "--fail-under", "1"])
    assert exited.value.code == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["eval", str(tmp_path / "notes.txt")])
    assert exited.value.code == 2
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SystemExit) as exited:
        main(["eval", str(tmp_path / "notes.txt")])
    assert exited.value.code == 2
    assert "not a Python file" in capsys.readouterr().err
