"""The rulepack commands, end to end, on the built-in pack and on the mini fixture pack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulepack.cli import app, main
from tests.conftest import MINI_PACK

runner = CliRunner()


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    code = exited.value.code if isinstance(exited.value.code, int) else 0
    return code, captured.out, captured.err


def test_list_json_carries_checks_sources_and_examples() -> None:
    result = runner.invoke(app, ["list", "--pack", str(MINI_PACK), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["pack"] == "mini"
    assert document["count"] == 3
    by_id = {entry["rule"]["id"]: entry for entry in document["rules"]}
    assert by_id["BAS001"]["rule"]["checks"] == [{"ruff": ["E722"]}]
    assert by_id["BAS001"]["rule"]["source"] == ["Avoid bare except clauses"]
    assert by_id["BAS001"]["rule"]["examples"][0]["bad"].startswith("try:")
    assert by_id["BAS002"]["text"]["title"] == "Keep functions under 30 lines"
    assert by_id["WEB001"]["section"] == "web"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--section", "web"], ["WEB001"]),
        (["--section", "BAS"], ["BAS001", "BAS002"]),
        (["--tag", "quality"], ["BAS002"]),
        (["--severity", "error"], ["BAS001"]),
        (["--checkable"], ["BAS001", "WEB001"]),
        (["--not-checkable"], ["BAS002"]),
        (["--severity", "warning", "--checkable"], ["WEB001"]),
    ],
)
def test_list_filters(options: list[str], expected: list[str]) -> None:
    result = runner.invoke(app, ["list", "-p", str(MINI_PACK), "-f", "json", *options])
    assert result.exit_code == 0, result.output
    assert [e["rule"]["id"] for e in json.loads(result.stdout)["rules"]] == expected


def test_list_table_shows_rendered_titles() -> None:
    result = runner.invoke(app, ["list", "-p", str(MINI_PACK)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Keep functions under 30 lines" in result.stdout
    assert "ruff E722" in result.stdout


def test_show_renders_every_part_of_a_rule() -> None:
    result = runner.invoke(app, ["show", "web001", "-p", str(MINI_PACK)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for expected in (
        "WEB001",
        "Mount every router under",
        "/api/v1",
        "Version the API",
        "unversioned-routes",
        "bad: app/routers/users.py",
        'prefix="/api/v1/users"',
    ):
        assert expected in result.stdout


def test_show_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["show", "NOP999", "-p", str(MINI_PACK)], capsys)
    assert code == 2
    assert err == "error: mini: no rule 'NOP999'; see 'rulepack list'\n"


def test_validate_builtin_pack_is_quiet_and_green(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("fastapi 0.1.0: ")
    assert out.count("\n") == 1


def test_validate_broken_pack_prints_one_line_with_file_and_line(
    mini_pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section = mini_pack / "web.yaml"
    section.write_text(section.read_text().replace("severity: warning", "severity: loud"))
    code, out, err = run_main(["validate", str(mini_pack)], capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert f"web.yaml:{7}: rule WEB001: severity: 'loud' is not one of" in lines[0]
    assert "Traceback" not in err


def test_validate_reports_uncovered_source_items(
    mini_pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = mini_pack / "source.md"
    source.write_text(source.read_text() + "\n## More\n\n- An uncited bullet\n")
    code, _, err = run_main(["validate", str(mini_pack)], capsys)
    assert code == 2
    assert err.endswith("source.md:20: not cited by any rule: 'An uncited bullet'\n")


def test_validate_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["validate", str(tmp_path / "absent")], capsys)
    assert code == 2
    assert "not a pack directory" in err


def test_schema_is_json_schema_of_a_section_file() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "SectionFile"
    assert set(schema["required"]) == {"prefix", "title", "rules"}
    pack_schema = json.loads(runner.invoke(app, ["schema", "--pack"]).stdout)
    assert pack_schema["title"] == "PackFile"


def test_help_does_not_import_the_heavy_libraries() -> None:
    probe = (
        "import sys, rulepack.cli; "
        "names = ('pydantic', 'ruamel', 'libcst', 'jinja2', 'mypy'); "
        "heavy = [m for m in names if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rulepack", "show", "BAS001", "--pack", str(MINI_PACK)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Catch specific exceptions" in result.stdout


def test_list_json_of_the_builtin_pack_has_every_rule_complete() -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["rules"]
    assert len(entries) == 120
    for entry in entries:
        rule = entry["rule"]
        assert rule["source"], rule["id"]
        assert rule["checks"] or rule["review"], rule["id"]
        if rule["checks"]:
            kinds = {
                "bad" if example["bad"] is not None else "good" for example in rule["examples"]
            }
            assert kinds == {"bad", "good"}, rule["id"]
        assert "${" not in entry["text"]["guidance"], rule["id"]


def test_export_writes_a_targets_files_and_can_run_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["export", "--target", "cursor", "--out", str(out), "--pack", str(MINI_PACK)]
    code, stdout, _ = run_main(args, capsys)
    assert code == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [".cursor/rules/rulepack-basics.mdc", ".cursor/rules/rulepack-web.mdc"]
    assert stdout.count("\n") == 2
    assert not (out / ".rulepack").exists()  # an export records no manifest
    before = (out / ".cursor/rules/rulepack-web.mdc").read_bytes()
    code, stdout, _ = run_main(args, capsys)
    assert (code, stdout) == (0, "")
    assert (out / ".cursor/rules/rulepack-web.mdc").read_bytes() == before


def test_install_without_targets_or_manifest_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["install", "--project", str(tmp_path)], capsys)
    assert code == 2
    assert "name targets with --target a,b or --all" in err
    code, _, err = run_main(["install", "--project", str(tmp_path), "--target", "cursr"], capsys)
    assert code == 2
    assert "unknown target cursr; known targets: agents-md, claude, cursor" in err
