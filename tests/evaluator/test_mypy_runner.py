"""How mypy is started and read: staged copies, blanked suppressions, failures as tool errors."""

from __future__ import annotations

import dataclasses
import textwrap
from functools import cache
from pathlib import Path

import pytest

from rulepack.evaluator.bindings import bindings_for, mypy_config, select_rules
from rulepack.evaluator.engine import EvalOptions, _codes_off_by_default, evaluate
from rulepack.evaluator.finding import Tool
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.reports.table import render_plain
from rulepack.evaluator.results import EvalReport, RuleStatus, SampleResult
from rulepack.evaluator.runners.mypy import (
    MypyHit,
    MypyRun,
    failure,
    parse_output,
    run_mypy,
    stage_sources,
    unresolved_modules,
)
from rulepack.evaluator.samples import discover
from rulepack.evaluator.suppressions import (
    count_suppressions,
    mypy_directives,
    neutralise_mypy_suppressions,
)
from rulepack.exporters.install.fs import UnsafePathError
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack

SUPPRESSED = textwrap.dedent(
    '''\
    # mypy: ignore-errors
    # mypy: disable-error-code="return-value"
    x: int = "a"  # type: ignore[assignment]  # legacy
    y = "# type: ignore"  # a string, not a comment
    z = 1  # noqa: E501 # type: ignore
    TEXT = """
    # mypy: ignore-errors
    """
    '''
)


@cache
def pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


def run_on(tmp_path: Path, files: dict[str, str], **options: object) -> SampleResult:
    root = tmp_path / "sample"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    settings = {"cache_dir": tmp_path / "cache", "use_cache": False, **options}
    report: EvalReport = evaluate(pack(), discover([root]), EvalOptions(**settings))  # type: ignore[arg-type]
    return report.samples[0]


def mypy_run(tmp_path: Path, sources: dict[str, str], python: PythonVersion) -> MypyRun:
    config = tmp_path / "mypy.ini"
    bindings = bindings_for(pack(), select_rules(pack(), (), ()))
    config.write_text(mypy_config(bindings, _codes_off_by_default()))
    return MypyRun(sources, config, tmp_path / "mypy-cache", python, None, timeout=300)


def test_neutralising_blanks_directives_and_keeps_every_position() -> None:
    out = neutralise_mypy_suppressions(SUPPRESSED)
    before, after = SUPPRESSED.split("\n"), out.split("\n")
    assert [len(line) for line in after] == [len(line) for line in before]
    assert "type: ignore" not in out.replace('"# type: ignore"', "")
    assert not any(line.startswith("# mypy: ") for line in after)
    assert 'y = "# type: ignore"  # a string, not a comment' in after  # strings stay
    assert "z = 1  # noqa: E501 #" in out
    assert "# legacy" not in out  # the rest of an ignore comment goes with it


def test_every_neutralised_directive_is_counted() -> None:
    kinds = [directive.kind for directive in mypy_directives(SUPPRESSED)]
    assert kinds == [
        "mypy_ignore_errors",
        "mypy_inline_config",
        "type_ignore",
        "type_ignore",
        "mypy_ignore_errors",  # inside a string, but mypy reads raw lines
    ]
    counts = count_suppressions([SUPPRESSED])
    assert (counts.type_ignore, counts.mypy_ignore_errors, counts.mypy_inline_config) == (2, 2, 1)
    assert counts.noqa == 1
    assert counts.total == 6


def test_a_file_that_does_not_tokenize_is_still_neutralised() -> None:
    source = 'x = """never closed  # type: ignore\ny = 1  # type: ignore\n'
    out = neutralise_mypy_suppressions(source)
    assert "ignore" not in out
    assert len(out) == len(source)


def test_staging_refuses_paths_outside_the_staged_root(tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError):
        stage_sources({"../escape.py": "x = 1\n"}, tmp_path / "src")
    with pytest.raises(UnsafePathError):
        stage_sources({str(tmp_path / "abs.py"): "x = 1\n"}, tmp_path / "src")
    assert not (tmp_path / "escape.py").exists()


@pytest.mark.parametrize(
    ("returncode", "stderr", "hits", "expected"),
    [
        (1, "Could not import runpy module\nImportError: cannot import name", 0, "exited 1"),
        (2, "", 0, "mypy exited 2"),
        (2, "", 1, "mypy exited 2"),
        (1, "", 1, "crashed"),  # with the traceback below
        (0, "", 0, None),
        (1, "", 1, None),
    ],
)
def test_how_a_finished_mypy_is_judged(
    returncode: int, stderr: str, hits: int, expected: str | None
) -> None:
    found = [MypyHit("a.py", "arg-type", "m", 1, 1, 1, 2)] * hits
    crash = ["Traceback (most recent call last):"] if expected == "crashed" else []
    error = failure(returncode, stderr, found, crash)
    if expected is None:
        assert error is None
    else:
        assert error is not None
        assert error.tool is Tool.MYPY
        assert expected in error.message


def test_an_internal_error_is_a_tool_error_whatever_the_exit_status() -> None:
    hit = MypyHit("a.py", "arg-type", "m", 1, 1, 1, 2)
    error = failure(1, "a.py:3: error: INTERNAL ERROR -- please report a bug", [hit], [])
    assert error is not None
    assert "INTERNAL ERROR" in error.message


def test_output_paths_map_back_to_the_sample(tmp_path: Path) -> None:
    staged, cwd = tmp_path / "src", tmp_path / "cwd"
    lines = [
        f'{{"file": "{staged}/app/main.py", "line": 3, "column": 4, "end_line": 3, '
        '"end_column": 9, "message": "m", "code": "arg-type", "severity": "error"}',
        f'{{"file": "{staged}/types.py", "line": -1, "column": -1, "end_line": -1, '
        '"end_column": 0, "message": "This file shadows library module", "code": null, '
        '"severity": "error"}',
        '{"file": "/elsewhere/x.py", "line": 1, "column": 0, "message": "m", "code": "misc", '
        '"severity": "error"}',
        "not json",
    ]
    hits, noise = parse_output("\n".join(lines), cwd, staged)
    assert [(h.path, h.line, h.column, h.end_column) for h in hits] == [("app/main.py", 3, 5, 9)]
    assert "types.py: This file shadows library module" in noise
    assert "not json" in noise


def test_mypy_checks_for_the_samples_python_version(tmp_path: Path) -> None:
    source = "from typing import override\n\n\nclass A:\n    pass\n"
    old_hits, old_error = run_mypy(mypy_run(tmp_path, {"a.py": source}, PythonVersion(3, 10)))
    new_hits, new_error = run_mypy(mypy_run(tmp_path, {"a.py": source}, PythonVersion(3, 12)))
    assert old_error is None
    assert new_error is None
    assert "attr-defined" in {hit.code for hit in old_hits}  # typing.override is 3.12+
    assert new_hits == []


def test_module_names_follow_the_sample_layout(tmp_path: Path) -> None:
    sources = {
        "app/models.py": "class User:\n    name: str = ''\n",
        "app/main.py": "from app.models import User\n\n\ndef f(u: User) -> int:\n"
        "    return u.name\n",
    }
    hits, error = run_mypy(mypy_run(tmp_path, sources, PythonVersion(3, 12)))
    assert error is None
    assert [(hit.path, hit.code) for hit in hits] == [("app/main.py", "return-value")]


def test_a_warm_mypy_cache_gives_the_same_findings(tmp_path: Path) -> None:
    """mypy replays cached errors with the path it checked: staging must not move between runs."""
    files = {
        "main.py": "def log(m):\n    print(m)\n\n\ndef f() -> None:\n    log('x')\n",
        "app/users.py": "def name_of(user_id: int) -> str:\n    return user_id\n",
    }
    cold = run_on(tmp_path / "first", files, cache_dir=tmp_path / "shared")
    warm = run_on(tmp_path / "second", files, cache_dir=tmp_path / "shared")
    assert cold.tool_errors == ()
    assert warm.tool_errors == ()
    assert {f.code for f in cold.findings} >= {"no-untyped-def", "return-value"}
    assert warm.findings == cold.findings
    assert warm.unbound == cold.unbound


def test_a_sample_shadowing_the_stdlib_is_a_tool_error_and_qlt005_not_checked(
    tmp_path: Path,
) -> None:
    sample = run_on(
        tmp_path,
        {"types.py": "X = 1\n", "app/main.py": "def f(x: int) -> str:\n    return x\n"},
    )
    errors = [error for error in sample.tool_errors if error.tool is Tool.MYPY]
    assert len(errors) == 1
    assert 'types.py: This file shadows library module "types"' in errors[0].message
    assert str(tmp_path) not in errors[0].message  # staged paths never leak out
    qlt005 = next(rule for rule in sample.rules if rule.rule_id == "QLT005")
    assert (qlt005.status, qlt005.reason) == (RuleStatus.NOT_CHECKED, "mypy failed")
    assert not [f for f in sample.findings if f.tool is Tool.MYPY]


def test_a_suppression_changes_neither_the_finding_nor_the_score(tmp_path: Path) -> None:
    plain = "# header\ndef name_of(user_id: int) -> str:\n    return user_id{}\n"
    variants = {
        "none": plain.format(""),
        "type_ignore": plain.format("  # type: ignore[return-value]"),
        "ignore_errors": plain.replace("# header", "# mypy: ignore-errors").format(""),
        "inline_config": plain.replace(
            "# header", '# mypy: disable-error-code="return-value"'
        ).format(""),
    }
    results = {
        name: run_on(tmp_path / name, {"app/users.py": text}) for name, text in variants.items()
    }

    def mypy_findings(sample: SampleResult) -> list[tuple[str | None, str, int, int]]:
        return [
            (f.rule_id, f.code, f.line, f.column) for f in sample.findings if f.tool is Tool.MYPY
        ]

    expected = mypy_findings(results["none"])
    assert ("QLT005", "return-value", 3, 12) in expected
    for name, sample in results.items():
        assert mypy_findings(sample) == expected, name
        assert sample.score == results["none"].score, name
    assert results["none"].suppressions.total == 0
    assert results["type_ignore"].suppressions.type_ignore == 1
    assert results["ignore_errors"].suppressions.mypy_ignore_errors == 1
    assert results["inline_config"].suppressions.mypy_inline_config == 1


def test_unresolved_imports_are_reported_apart_and_not_scored(tmp_path: Path) -> None:
    files = {
        "app/security.py": textwrap.dedent(
            """\
            from not_installed_lib import Base, make

            hasher = make()


            class Model(Base):
                pass


            def build() -> int:
                return make()


            def verify(password: str) -> bool:
                return hasher.verify(password)
            """
        ),
        "app/users.py": textwrap.dedent(
            """\
            import json

            from app.security import hasher


            def check(password: str) -> bool:
                return hasher.verify(password)


            def parse(text: str) -> int:
                return json.loads(text)


            def broken(user_id: int) -> str:
                return user_id
            """
        ),
    }
    sample = run_on(tmp_path, files)
    assert sample.unresolved_imports == ("not_installed_lib",)
    mypy = [f for f in (*sample.findings, *sample.unbound) if f.tool is Tool.MYPY]
    advisory = sorted((f.path, f.line, f.code) for f in mypy if f.advisory)
    assert advisory == [
        ("app/security.py", 1, "import-not-found"),
        ("app/security.py", 6, "misc"),
        ("app/security.py", 11, "no-any-return"),
        ("app/security.py", 15, "no-any-return"),
        ("app/users.py", 7, "no-any-return"),  # through a name imported from app.security
    ]
    assert all("not scored" in f.message for f in mypy if f.advisory)
    # json.loads returns Any for a reason of its own, and a real error still counts.
    scored = {(f.path, f.line, f.code) for f in mypy if not f.advisory}
    assert ("app/users.py", 11, "no-any-return") in scored
    assert ("app/users.py", 15, "return-value") in scored
    qlt005 = next(rule for rule in sample.rules if rule.rule_id == "QLT005")
    assert qlt005.status is RuleStatus.FAILED
    assert qlt005.files_failed == 1  # app/users.py; security.py's errors all follow from Any


def test_an_any_of_another_origin_is_scored(tmp_path: Path) -> None:
    """A module-level Any that has nothing to do with the unresolved import is not excused."""
    code = textwrap.dedent(
        """\
        import json

        from not_installed_lib import helper

        Base = json.loads("{}")
        CONFIG = json.loads("{}")


        class Model(Base):
            pass


        def size() -> int:
            return CONFIG["size"]


        def run() -> None:
            helper()
        """
    )
    sample = run_on(tmp_path, {"app/config.py": code})
    found = [f for f in (*sample.findings, *sample.unbound) if f.tool is Tool.MYPY]
    mypy = {(f.line, f.code, f.advisory) for f in found}
    assert (9, "misc", False) in mypy  # "Class cannot subclass "Base" (has type "Any")"
    assert (14, "no-any-return", False) in mypy
    assert (3, "import-not-found", True) in mypy


def test_unresolved_modules_are_named_from_the_messages() -> None:
    missing = MypyHit("a.py", "import-not-found", 'Cannot find ... named "foo.bar"', 1, 1, 1, 2)
    untyped = MypyHit(
        "a.py", "import-untyped", 'Library stubs not installed for "yaml"', 2, 1, 2, 1
    )
    other = MypyHit("a.py", "no-any-return", 'Returning Any from "int"', 5, 1, 5, 2)
    assert unresolved_modules([missing, untyped, other]) == ("foo.bar", "yaml")
    assert other.unresolved_module is None


def test_the_report_states_what_mypy_saw(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    (root / "main.py").write_text("import not_installed_lib\n\nX = 1\n")
    options = EvalOptions(cache_dir=tmp_path / "cache", use_cache=False)
    report = evaluate(pack(), discover([root]), options)
    assert report.environment is not None
    assert report.environment.python_executable is None
    assert "fastapi" in report.environment.libraries
    assert "pydantic" in report.environment.libraries
    text = render_plain(report, width=200)
    fastapi = report.environment.libraries["fastapi"]
    assert f"mypy {report.environment.mypy}, Python " in text
    assert f"fastapi {fastapi}" in text
    assert "unresolved   not_installed_lib (1 mypy finding shown, not scored)" in text
    quiet = evaluate(pack(), discover([root]), dataclasses.replace(options, use_mypy=False))
    assert quiet.environment is None
