"""Every kind of bad pack input is reported at the right file and line, and loading stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulepack.errors import PackError, Problem, UsageError
from rulepack.rules.loader import (
    ToolCatalogues,
    load,
    load_pack,
    resolve_pack_dir,
)
from rulepack.rules.model import CustomBinding, MypyBinding, RuffBinding
from rulepack.rules.tool_codes import MypyCatalogue, RuffCatalogue, RuffStatus
from rulepack.rules.yaml_source import MAX_FILE_BYTES

TOOLS = ToolCatalogues(
    ruff=RuffCatalogue(
        version="9.9.9",
        statuses={"E722": RuffStatus.STABLE, "ANN101": RuffStatus.REMOVED},
    ),
    mypy=MypyCatalogue(
        error_codes=frozenset({"no-untyped-def"}), flags=frozenset({"disallow_untyped_defs"})
    ),
)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path.name}")


def only_problem(pack_dir: Path, tools: ToolCatalogues | None = None) -> Problem:
    with pytest.raises(PackError) as caught:
        load_pack(pack_dir, tools)
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_mini_pack_loads_with_everything_resolved(mini_pack: Path) -> None:
    result = load(mini_pack, TOOLS)
    pack = result.pack
    assert [s.id for s in pack.sections] == ["basics", "web"]
    assert [r.id for r in pack.rules()] == ["BAS001", "BAS002", "WEB001"]
    assert pack.render(pack.rule("BAS002"), pack.rule("BAS002").title) == (
        "Keep functions under 30 lines"
    )
    web = pack.rule("WEB001")
    assert pack.render(web, web.guidance) == "Mount every router under `/api/v1`."
    assert isinstance(web.checks[0], CustomBinding)
    assert isinstance(web.checks[1], MypyBinding)
    assert isinstance(pack.rule("BAS001").checks[0], RuffBinding)
    assert result.uncovered == ()


def test_yaml_syntax_error_names_file_and_line(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "    tags: [errors]", "    tags: [errors")
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert problem.line is not None
    assert abs(problem.line - line_of(section, "tags: [errors")) <= 1
    assert "invalid YAML" in problem.message


def test_unknown_field_is_reported_at_its_key(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "    tags: [errors]", "    tags: [errors]\n    sevrity: high")
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (section, line_of(section, "sevrity"))
    assert problem.message == "rule BAS001: unknown field 'sevrity'"


def test_bad_enum_value_lists_the_allowed_values(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "severity: error", "severity: fatal")
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (section, line_of(section, "severity: fatal"))
    assert "'fatal' is not one of 'error', 'warning' or 'info'" in problem.message


def test_missing_required_field(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(
        section, "    rationale: Clients can pin a version while the next one evolves.\n", ""
    )
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert problem.line == line_of(section, "- id: WEB001")
    assert problem.message == "rule WEB001: missing required field 'rationale'"


def test_duplicate_id_across_files_points_at_the_second(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(section, "prefix: WEB", "prefix: BAS")
    replace_in(section, "id: WEB001", "id: BAS001")
    with pytest.raises(PackError) as caught:
        load_pack(mini_pack)
    messages = {(p.path.name, p.line, p.message) for p in caught.value.problems}
    first = line_of(mini_pack / "basics.yaml", "id: BAS001")
    assert (
        "web.yaml",
        line_of(section, "id: BAS001"),
        f"rule id BAS001 is already defined at basics.yaml:{first}",
    ) in messages
    assert any("prefix BAS is already used by basics.yaml" in m for _, _, m in messages)


def test_id_in_the_wrong_section_prefix(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(section, "id: WEB001", "id: BAS009")
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert "rule BAS009 is not in section prefix WEB" in problem.message


def test_malformed_rule_id(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(section, "id: WEB001", "id: WEB1")
    problem = only_problem(mini_pack)
    assert problem.line == line_of(section, "id: WEB1")
    assert "id: 'WEB1' does not match" in problem.message


def test_unknown_ruff_code(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "ruff: [E722]", "ruff: [E722, XYZ123]")
    problem = only_problem(mini_pack, TOOLS)
    assert (problem.path, problem.line) == (section, line_of(section, "XYZ123"))
    assert problem.message == "rule BAS001: ruff 9.9.9 has no rule XYZ123"


def test_removed_ruff_code(mini_pack: Path) -> None:
    replace_in(mini_pack / "basics.yaml", "ruff: [E722]", "ruff: [ANN101]")
    problem = only_problem(mini_pack, TOOLS)
    assert "ruff rule ANN101 was removed" in problem.message


def test_installed_ruff_knows_real_codes_and_not_invented_ones() -> None:
    catalogue = RuffCatalogue.installed()
    assert catalogue.problem_with("E722") is None
    assert catalogue.problem_with("FAST002") is None
    assert catalogue.problem_with("ZZZ999") is not None
    assert catalogue.problem_with("ANN101") is not None


def test_unknown_mypy_code_and_flag(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(section, "mypy: [no-untyped-def]", "mypy: [no-untyped-deff]")
    replace_in(section, "flags: [disallow_untyped_defs]", "flags: [disallow_untyped_def]")
    with pytest.raises(PackError) as caught:
        load_pack(mini_pack, TOOLS)
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "rule WEB001: mypy has no error code 'no-untyped-deff'",
        "rule WEB001: mypy has no option 'disallow_untyped_def'",
    ]


def test_installed_mypy_catalogue() -> None:
    catalogue = MypyCatalogue.installed()
    assert catalogue.problem_with_code("explicit-any") is None
    assert catalogue.problem_with_flag("disallow_any_explicit") is None
    assert catalogue.problem_with_flag("strict") is None
    assert catalogue.problem_with_code("no-such-code") is not None


def test_example_that_is_not_python_points_at_the_bad_line(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "              log()", "              log(")
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert problem.line == line_of(section, "log(")
    assert "good example is not valid Python" in problem.message


def test_non_python_example_is_not_parsed(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(
        section,
        'router = APIRouter(prefix="/users")\n        path: app/routers/users.py',
        "fastapi>=0.100 (\n        path: requirements.txt",
    )
    assert load_pack(mini_pack).rule("WEB001").examples[0].path == "requirements.txt"


def test_unknown_parameter_in_guidance(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    replace_in(section, "`${api_prefix}`", "`${api_prefx}`")
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (section, line_of(section, "api_prefx"))
    assert problem.message == "rule WEB001: guidance uses unknown parameter '${api_prefx}'"


def test_a_rule_cannot_read_another_rules_parameter(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "guidance: Catch the", "guidance: Under ${max_lines}, catch the")
    problem = only_problem(mini_pack)
    assert "unknown parameter '${max_lines}'" in problem.message


def test_parameter_outside_its_choices(mini_pack: Path) -> None:
    pack_file = mini_pack / "pack.yaml"
    replace_in(
        pack_file,
        "  api_prefix: /api/v1",
        "  api_prefix: /api/v1\n  layout: {value: flat, choices: [by-type, by-domain]}",
    )
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (pack_file, line_of(pack_file, "layout:"))
    assert "value 'flat' is not one of 'by-type', 'by-domain'" in problem.message


def test_alias_bomb_is_refused_before_expansion(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    section.write_text("\n".join(bomb) + "\n")
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (section, 2)
    assert "aliases" in problem.message


def test_oversized_file_is_refused_without_parsing(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    section.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert "limited to" in problem.message


def test_binary_file(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    section.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    problem = only_problem(mini_pack)
    assert problem.message == "binary file, not YAML text"


def test_invalid_utf8_names_the_line(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    section.write_bytes(b"prefix: BAS\ntitle: caf\xe9\n")
    problem = only_problem(mini_pack)
    assert (problem.line, problem.message) == (2, "not valid UTF-8 text")


def test_duplicate_key(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "title: Basics", "title: Basics\ntitle: Again")
    problem = only_problem(mini_pack)
    assert problem.path == section
    assert problem.line == line_of(section, "title: Again")
    assert "duplicate key" in problem.message


def test_several_documents_in_one_file(mini_pack: Path) -> None:
    section = mini_pack / "web.yaml"
    section.write_text(section.read_text() + "---\nprefix: XYZ\n")
    problem = only_problem(mini_pack)
    assert "several" in problem.message


def test_top_level_must_be_a_mapping(mini_pack: Path) -> None:
    (mini_pack / "web.yaml").write_text("- just\n- a list\n")
    problem = only_problem(mini_pack)
    assert problem.message == "expected a mapping at the top level, found a CommentedSeq"


def test_missing_and_unlisted_section_files(mini_pack: Path) -> None:
    (mini_pack / "web.yaml").rename(mini_pack / "webb.yaml")
    with pytest.raises(PackError) as caught:
        load_pack(mini_pack)
    found = {(p.path.name, p.line, p.message) for p in caught.value.problems}
    assert found == {
        (
            "pack.yaml",
            line_of(mini_pack / "pack.yaml", "sections:"),
            "section file web.yaml is missing",
        ),
        ("webb.yaml", None, "section file webb.yaml is not listed in pack.yaml 'sections'"),
    }


def test_source_entry_must_quote_the_source_document(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    replace_in(section, "- Avoid bare except clauses", "- Avoid bare excepts")
    problem = only_problem(mini_pack)
    assert (problem.path, problem.line) == (section, line_of(section, "Avoid bare excepts"))
    assert "source entry is not in the source document" in problem.message


def test_uncited_source_item_is_reported_as_uncovered(mini_pack: Path) -> None:
    source = mini_pack / "source.md"
    source.write_text(source.read_text() + "\n## Extra\n\n- Something no rule cites\n")
    result = load(mini_pack)
    assert [item.text for item in result.uncovered] == ["Something no rule cites"]


def test_checkable_rule_without_examples(mini_pack: Path) -> None:
    section = mini_pack / "basics.yaml"
    text = section.read_text()
    start = text.index("    examples:")
    end = text.index("  - id: BAS002")
    section.write_text(text[:start] + text[end:])
    problem = only_problem(mini_pack)
    assert "a checkable rule needs at least one bad and one good example" in problem.message
    assert problem.line == line_of(section, "- id: BAS001")


def test_problems_from_several_files_are_all_reported(mini_pack: Path) -> None:
    replace_in(mini_pack / "basics.yaml", "severity: error", "severity: fatal")
    replace_in(mini_pack / "web.yaml", "severity: warning", "severity: meh")
    with pytest.raises(PackError) as caught:
        load_pack(mini_pack)
    assert {p.path.name for p in caught.value.problems} == {"basics.yaml", "web.yaml"}


def test_source_document_outside_the_pack_is_refused(mini_pack: Path) -> None:
    pack_file = mini_pack / "pack.yaml"
    replace_in(pack_file, "source_document: source.md", "source_document: ../../etc/passwd")
    problem = only_problem(mini_pack)
    assert problem.message == "source_document must be inside the pack"


def test_resolve_pack_dir(mini_pack: Path) -> None:
    assert resolve_pack_dir(None).name == "fastapi"
    assert resolve_pack_dir("fastapi").name == "fastapi"
    assert resolve_pack_dir(str(mini_pack)) == mini_pack
    assert resolve_pack_dir(str(mini_pack / "pack.yaml")) == mini_pack
    with pytest.raises(UsageError, match="not a pack directory"):
        resolve_pack_dir(str(mini_pack / "nope"))
