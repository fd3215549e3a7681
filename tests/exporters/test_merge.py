"""Merging rulepack's entries into .aider.conf.yml and opencode.json, and taking them out again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rulepack.exporters.install.manifest import read_manifest
from rulepack.exporters.install.merge import (
    ConfigFileError,
    merge_json,
    merge_yaml,
    unmerge_json,
    unmerge_yaml,
)
from rulepack.exporters.install.plan import apply_plan, plan_install, plan_uninstall
from rulepack.exporters.targets import TARGETS_BY_ID
from rulepack.exporters.views import Profile
from rulepack.rules.loader import load_pack
from tests.conftest import MINI_PACK

AIDER = TARGETS_BY_ID["aider"].merges[0]
OPENCODE = TARGETS_BY_ID["opencode"].merges[0]
OPENCODE_GLOB = ".opencode/rules/rulepack-*.md"


def parse_yaml(text: str) -> object:
    return YAML(typ="safe").load(text)


# --- .aider.conf.yml, pure ------------------------------------------------------------------


def test_yaml_new_file_gets_a_marked_block() -> None:
    result = merge_yaml(None, AIDER, "mini")
    assert (
        result.text == '# rulepack:begin mini\nread:\n  - "CONVENTIONS.md"\n# rulepack:end mini\n'
    )
    assert result.added == ("CONVENTIONS.md",)
    assert not result.edited_user_key


def test_yaml_without_read_appends_a_block_and_keeps_every_byte() -> None:
    original = "# my settings\r\nmodel:   gpt-4o   # best\r\nauto-commits: false\r\n"
    result = merge_yaml(original, AIDER, "mini")
    assert result.text.startswith(original)
    assert result.text[len(original) :] == (
        '\r\n# rulepack:begin mini\r\nread:\r\n  - "CONVENTIONS.md"\r\n# rulepack:end mini\r\n'
    )
    assert result.separator == "\r\n"
    assert parse_yaml(result.text) == {
        "model": "gpt-4o",
        "auto-commits": False,
        "read": ["CONVENTIONS.md"],
    }


def test_yaml_block_is_idempotent() -> None:
    first = merge_yaml("model: x\n", AIDER, "mini")
    second = merge_yaml(first.text, AIDER, "mini")
    assert second.text == first.text


def test_yaml_scalar_read_becomes_a_list_and_other_lines_keep_their_bytes() -> None:
    original = (
        "# my aider config\r\nmodel:   gpt-4   # best\r\nread: NOTES.md\r\nauto-commits: false\r\n"
    )
    result = merge_yaml(original, AIDER, "mini")
    assert result.text == (
        "# my aider config\r\n"
        "model:   gpt-4   # best\r\n"
        "read:\r\n"
        "  - NOTES.md\r\n"
        "  - CONVENTIONS.md\r\n"
        "auto-commits: false\r\n"
    )
    assert result.added == ("CONVENTIONS.md",)
    assert result.edited_user_key


def test_yaml_block_list_gets_one_new_line_in_the_users_style() -> None:
    original = (
        "read:   # files aider always reads\n"
        "- NOTES.md\n"
        '- "docs/STYLE.md"   # style\n'
        "\n"
        "# the model\n"
        "model:     sonnet\n"
    )
    result = merge_yaml(original, AIDER, "mini")
    assert result.text == (
        "read:   # files aider always reads\n"
        "- NOTES.md\n"
        '- "docs/STYLE.md"   # style\n'
        "- CONVENTIONS.md\n"
        "\n"
        "# the model\n"
        "model:     sonnet\n"
    )
    assert parse_yaml(result.text) == {
        "read": ["NOTES.md", "docs/STYLE.md", "CONVENTIONS.md"],
        "model": "sonnet",
    }


def test_yaml_flow_list_is_rewritten_alone() -> None:
    original = "model: x   # keep my spacing\nread: [NOTES.md, 'a b.md']\nlint: true"
    result = merge_yaml(original, AIDER, "mini")
    assert result.text == (
        "model: x   # keep my spacing\n"
        "read:\n"
        "  - NOTES.md\n"
        '  - "a b.md"\n'
        "  - CONVENTIONS.md\n"
        "lint: true"
    )


def test_yaml_read_already_listing_conventions_changes_nothing() -> None:
    original = "read:\n  - CONVENTIONS.md   # mine\n"
    result = merge_yaml(original, AIDER, "mini")
    assert result.text == original
    assert result.added == ()


def test_yaml_unmerge_takes_out_only_rulepacks_values() -> None:
    original = "# c\r\nread:\r\n    - NOTES.md\r\nmodel:  x\r\n"
    merged = merge_yaml(original, AIDER, "mini").text
    edited = merged + "lint: true\r\n"
    assert unmerge_yaml(edited, AIDER, ("CONVENTIONS.md",)) == original + "lint: true\r\n"


def test_yaml_unmerge_of_the_only_value_leaves_an_empty_list() -> None:
    text = "model: x\nread:\n  - CONVENTIONS.md\nlint: true\n"
    assert unmerge_yaml(text, AIDER, ("CONVENTIONS.md",)) == "model: x\nread: []\nlint: true\n"


def test_yaml_unmerge_without_rulepacks_values_is_identity() -> None:
    text = "read:   [a.md]   # odd\n"
    assert unmerge_yaml(text, AIDER, ("CONVENTIONS.md",)) == text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("model: x\nread: [a.md\n", 3),
        ("model: x\n  bad: indent\n", 2),
        ("a: 1\nb: [\n", 3),
    ],
)
def test_invalid_yaml_names_file_and_line(text: str, line: int) -> None:
    with pytest.raises(ConfigFileError, match=rf"^\.aider\.conf\.yml:{line}: not valid YAML"):
        merge_yaml(text, AIDER, "mini")


def test_yaml_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ConfigFileError, match=r"^\.aider\.conf\.yml: expected a mapping"):
        merge_yaml("- a\n- b\n", AIDER, "mini")
    with pytest.raises(ConfigFileError, match="neither a string nor a list"):
        merge_yaml("read: {a: 1}\n", AIDER, "mini")


# --- opencode.json, pure --------------------------------------------------------------------


def test_json_missing_file_is_created_with_schema_and_instructions() -> None:
    result = merge_json(None, OPENCODE)
    assert json.loads(result.text) == {
        "$schema": "https://opencode.ai/config.json",
        "instructions": [OPENCODE_GLOB],
    }
    assert result.text.endswith("}\n")


def test_json_with_other_keys_keeps_them_in_order() -> None:
    original = '{"model": "x", "theme": {"dark": true}}'
    result = merge_json(original, OPENCODE)
    data = json.loads(result.text)
    assert list(data) == ["model", "theme", "instructions"]
    assert data == {"model": "x", "theme": {"dark": True}, "instructions": [OPENCODE_GLOB]}
    assert result.edited_user_key


def test_json_with_an_instructions_list_appends_to_it() -> None:
    original = '{\n  "instructions": ["docs/a.md"]\n}\n'
    result = merge_json(original, OPENCODE)
    assert json.loads(result.text)["instructions"] == ["docs/a.md", OPENCODE_GLOB]
    assert result.added == (OPENCODE_GLOB,)
    assert json.loads(unmerge_json(result.text, OPENCODE, result.added)) == json.loads(original)


def test_json_already_listing_the_glob_changes_nothing() -> None:
    original = '{"instructions": [".opencode/rules/rulepack-*.md"]}'
    assert merge_json(original, OPENCODE).text == original


@pytest.mark.parametrize(
    ("text", "line"),
    [('{\n  "a": 1,\n  "b": \n}\n', 4), ('{\n  "a": 1\n  "b": 2\n}', 3), ("", 1)],
)
def test_invalid_json_names_file_and_line(text: str, line: int) -> None:
    with pytest.raises(ConfigFileError, match=rf"^opencode\.json:{line}: not valid JSON"):
        merge_json(text, OPENCODE)


def test_json_with_wrong_shapes_is_refused() -> None:
    with pytest.raises(ConfigFileError, match=r"opencode\.json: expected a JSON object"):
        merge_json("[1, 2]", OPENCODE)
    with pytest.raises(ConfigFileError, match="'instructions' is not a list"):
        merge_json('{"instructions": "a.md"}', OPENCODE)


# --- through the installer ------------------------------------------------------------------


def install(project: Path, targets: tuple[str, ...]) -> None:
    apply_plan(plan_install(project, load_pack(MINI_PACK), targets, Profile.FULL))


def uninstall(project: Path) -> None:
    apply_plan(plan_uninstall(project))


AIDER_FILES = [
    "",
    "model: gpt-4o\n",
    "read: NOTES.md\n",
    "read: NOTES.md",
    "# comment\r\nread:\r\n  - NOTES.md\r\n  - docs/X.md   # x\r\nmodel:   x\r\n",
    "read: [CONVENTIONS.md]\n",
    "read:\n  - CONVENTIONS.md\nmodel: x\n",
    "model: x\n\n\n# trailing comment without newline",
    "read: [a.md,\n   b.md]   # flow over two lines\nmodel: x\n",
]


@pytest.mark.parametrize("original", AIDER_FILES)
def test_aider_install_twice_then_uninstall_restores_bytes(tmp_path: Path, original: str) -> None:
    config = tmp_path / ".aider.conf.yml"
    config.write_bytes(original.encode())
    install(tmp_path, ("aider",))
    installed = config.read_bytes()
    data = parse_yaml(installed.decode())
    assert isinstance(data, dict)
    assert "CONVENTIONS.md" in data["read"]
    manifest = read_manifest(tmp_path)
    # A second run is a no-op, manifest included (the separator is remembered).
    plan = plan_install(tmp_path, load_pack(MINI_PACK), ("aider",), Profile.FULL)
    assert plan.is_noop, [c.path for c in plan.changes]
    apply_plan(plan)
    assert read_manifest(tmp_path) == manifest
    assert config.read_bytes() == installed
    uninstall(tmp_path)
    assert config.read_bytes() == original.encode()
    assert not (tmp_path / "CONVENTIONS.md").exists()
    assert not (tmp_path / ".rulepack").exists()


def test_aider_config_created_by_rulepack_is_removed(tmp_path: Path) -> None:
    install(tmp_path, ("aider",))
    assert (tmp_path / ".aider.conf.yml").exists()
    uninstall(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_aider_edit_after_install_survives_uninstall(tmp_path: Path) -> None:
    config = tmp_path / ".aider.conf.yml"
    config.write_text("model: x\nread: [NOTES.md]\n")
    install(tmp_path, ("aider",))
    with config.open("a") as handle:
        handle.write("auto-commits: false\n")
    uninstall(tmp_path)
    assert parse_yaml(config.read_text()) == {
        "model": "x",
        "read": ["NOTES.md"],
        "auto-commits": False,
    }
    assert config.read_text().startswith("model: x\n")


def test_aider_edit_between_two_installs_survives_uninstall(tmp_path: Path) -> None:
    config = tmp_path / ".aider.conf.yml"
    config.write_text("model: x\nread: [NOTES.md]\n")
    install(tmp_path, ("aider",))
    with config.open("a") as handle:
        handle.write("auto-commits: false\n")
    install(tmp_path, ("aider",))  # nothing to add: the user's edit must not become "ours"
    uninstall(tmp_path)
    assert parse_yaml(config.read_text()) == {
        "model": "x",
        "read": ["NOTES.md"],
        "auto-commits": False,
    }


def test_aider_block_edit_after_install_keeps_the_rest(tmp_path: Path) -> None:
    config = tmp_path / ".aider.conf.yml"
    config.write_text("model: x\n")
    install(tmp_path, ("aider",))
    config.write_text("# added on top\n" + config.read_text() + "lint: true\n")
    uninstall(tmp_path)
    assert config.read_text() == "# added on top\nmodel: x\nlint: true\n"


@pytest.mark.parametrize(
    "original",
    [
        None,
        "{}",
        '{\n    "model": "anthropic/claude",\n    "share": "manual"\n}',
        '{"instructions": ["docs/team.md"], "model": "x"}\r\n',
        '{"instructions": [".opencode/rules/rulepack-*.md"]}',
    ],
)
def test_opencode_install_then_uninstall_restores_bytes(
    tmp_path: Path, original: str | None
) -> None:
    config = tmp_path / "opencode.json"
    if original is not None:
        config.write_bytes(original.encode())
    install(tmp_path, ("opencode",))
    assert OPENCODE_GLOB in json.loads(config.read_text())["instructions"]
    plan = plan_install(tmp_path, load_pack(MINI_PACK), ("opencode",), Profile.FULL)
    assert plan.is_noop
    uninstall(tmp_path)
    if original is None:
        assert not config.exists()
    else:
        assert config.read_bytes() == original.encode()
    assert not (tmp_path / ".opencode").exists()


def test_opencode_edit_after_install_removes_only_rulepacks_entry(tmp_path: Path) -> None:
    config = tmp_path / "opencode.json"
    config.write_text('{"instructions": ["docs/team.md"]}')
    install(tmp_path, ("opencode",))
    data = json.loads(config.read_text())
    data["model"] = "mine"
    data["instructions"].append("docs/more.md")
    config.write_text(json.dumps(data))
    uninstall(tmp_path)
    assert json.loads(config.read_text()) == {
        "instructions": ["docs/team.md", "docs/more.md"],
        "model": "mine",
    }


def test_invalid_config_stops_the_install_before_any_write(tmp_path: Path) -> None:
    (tmp_path / ".aider.conf.yml").write_text("model: x\nread: [a\n")
    with pytest.raises(ConfigFileError, match=r"\.aider\.conf\.yml:3"):
        plan_install(tmp_path, load_pack(MINI_PACK), ("aider",), Profile.FULL)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".aider.conf.yml"]
