"""The benchmark script's parsing and failure paths (no tool is timed here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.bench_eval import (
    BenchError,
    Measurement,
    check_rulepack_eval,
    count_mypy_errors,
    custom_check_time,
    main,
    ratios,
)


def test_missing_eval_command_fails_with_a_clear_message() -> None:
    no_eval = [sys.executable, "-c", "import sys; sys.stderr.write('No such command'); sys.exit(2)"]
    with pytest.raises(BenchError, match=r"eval` is not available .*--parts ruff,mypy"):
        check_rulepack_eval(no_eval)


def test_main_reports_a_missing_eval_command_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sample_0001").mkdir()
    (tmp_path / "sample_0001" / "main.py").write_text("x = 1\n", encoding="utf-8")
    fake = f"{sys.executable} -c 'import sys; sys.exit(2)'"
    argv = [str(tmp_path), "--parts", "rulepack", "--rulepack", fake]
    assert main([*argv, "--results-dir", str(tmp_path)]) == 2
    assert "is not available" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))


def test_unknown_part_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path), "--parts", "ruff,pylint"])
    assert exit_info.value.code == 2


def test_count_mypy_errors_counts_only_error_records() -> None:
    lines = [
        json.dumps({"file": "a.py", "severity": "error", "code": "arg-type"}),
        json.dumps({"file": "a.py", "severity": "note", "code": None}),
        "a.py: error: not json",
        json.dumps({"file": "b.py", "severity": "error", "code": "name-defined"}),
    ]
    assert count_mypy_errors("\n".join(lines)) == 2


def test_custom_check_time_sums_per_sample_timings_with_their_lines() -> None:
    report = {
        "timings": {"ruff": 0.1, "total": 3.0},
        "samples": [
            {"lines": 400, "timings": {"custom": 0.25, "mypy": 2.0}},
            {"lines": 600, "timings": {"custom": 0.5}},
        ],
    }
    assert custom_check_time(report) == (0.75, 1000)


def test_custom_check_time_is_none_without_custom_timings() -> None:
    assert custom_check_time({"samples": [{"lines": 10, "timings": {"mypy": 1.0}}]}) is None
    assert custom_check_time({"timings": {"custom": True}}) is None


def test_ratios_divide_rulepack_by_each_measured_baseline() -> None:
    measured = {
        "ruff": Measurement("ruff", 0.5, 10, 0),
        "rulepack_cold": Measurement("rulepack cold", 5.0, 10, 0),
        "rulepack_warm": Measurement("rulepack warm", 1.0, 10, 0),
    }
    assert ratios(measured) == {"rulepack_cold/ruff": 10.0, "rulepack_warm/ruff": 2.0}
