"""Parse-back tests: every generated file reads the way its assistant reads it.

Each per-section file's frontmatter is parsed with a reader like the assistant's own: a lenient
``key: value`` reader for Cursor ``.mdc`` and Windsurf-style rules (their docs write globs such as
``**/*.py`` unquoted, which is not valid YAML), and a real YAML parser (ruamel, safe loader) for
everyone else. The values must give the section's scope: its activation and exactly its globs, in
the assistant's own glob syntax. The expected globs and descriptions come from the pack's YAML,
not from the exporter's views.

The packs: ``fixtures/packs/mini``, ``fixtures/packs/scopes`` (one section per activation, a brace
glob, several globs, descriptions that need quoting) and the built-in fastapi pack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from markdown_it import MarkdownIt
from ruamel.yaml import YAML

from rulepack.exporters.render import (
    ExportError,
    csv_globs,
    expand_braces,
    mdc_value,
    render_file,
    render_target,
)
from rulepack.exporters.targets import TARGETS, TARGETS_BY_ID, Layout, Selection, WriteMode
from rulepack.exporters.views import Profile, pack_view
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Activation, Pack, Section
from tests.conftest import REPO

PACKS = ("mini", "scopes", "fastapi")
WINDSURF_LIKE = ("windsurf", "devin", "antigravity")
PATHS_LISTS = ("claude", "cline", "qwen")
PLAIN = ("roo", "kilo", "jetbrains-ai", "amazonq", "opencode")

_yaml = YAML(typ="safe", pure=True)


@cache
def pack_named(name: str) -> Pack:
    if name == "fastapi":
        return load_pack(resolve_pack_dir(None))
    return load_pack(REPO / "fixtures" / "packs" / name)


# --- Readers ---------------------------------------------------------------------------------


def split_frontmatter(text: str) -> tuple[str | None, str]:
    """The frontmatter block (without its fences) and the body; ``None`` when there is none."""
    if not text.startswith("---"):
        return None, text
    assert text.startswith("---\n"), "the opening fence must be a line of its own"
    end = text.find("\n---\n", 3)
    assert end != -1, "frontmatter without a closing ---"
    return text[4 : end + 1], text[end + 5 :]


def yaml_frontmatter(text: str) -> dict[str, Any]:
    """Frontmatter as a YAML reader sees it (duplicate keys are an error in ruamel)."""
    block, _ = split_frontmatter(text)
    assert block is not None, "expected frontmatter"
    data = _yaml.load(block)
    assert isinstance(data, dict), f"frontmatter is not a mapping: {block!r}"
    return data


def lenient_fields(text: str) -> dict[str, str]:
    """Frontmatter as Cursor's MDC reader sees it: one ``key: value`` per line, raw values."""
    block, _ = split_frontmatter(text)
    assert block is not None, "expected frontmatter"
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, colon, value = line.partition(":")
        assert colon, f"not a 'key: value' line: {line!r}"
        assert re.fullmatch(r"[A-Za-z]+", key), f"bad key in {line!r}"
        assert key not in fields, f"duplicate key {key}"
        fields[key] = value.strip()
    return fields


def lenient_string(raw: str) -> str:
    """A scalar as a lenient reader takes it: a double-quoted value is unquoted, others kept."""
    if raw.startswith('"'):
        value = json.loads(raw)  # JSON string syntax is YAML's double-quoted syntax
        assert isinstance(value, str)
        return value
    assert not raw.startswith(("'", "[", "{", "|", ">")), f"value a line reader misreads: {raw}"
    return raw


def lenient_globs(raw: str) -> list[str]:
    """Cursor/Windsurf ``globs``: one unquoted string, comma-separated; empty means none."""
    assert not raw.startswith(('"', "'", "[")), f"globs must be unquoted and not a list: {raw}"
    return [glob.strip() for glob in raw.split(",")] if raw else []


def yaml_reads_as(key: str, raw: str, version: str = "1.2") -> object:
    """What a strict YAML 1.2 (or 1.1, where ``yes`` is a bool) reader makes of ``key: raw``."""
    # A fresh reader each time: ruamel keeps YAML 1.1 rules after reading a %YAML 1.1 document.
    directive = "%YAML 1.1\n---\n" if version == "1.1" else ""
    return YAML(typ="safe", pure=True).load(f"{directive}{key}: {raw}\n")[key]


# --- What the pack says -------------------------------------------------------------------------


def section_globs(section: Section) -> list[str]:
    """The union of the section's rules' globs, in first-seen order, as written in the YAML."""
    globs: list[str] = []
    for rule in section.rules:
        globs.extend(glob for glob in rule.applies_to if glob not in globs)
    return globs


def expand(glob: str) -> list[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (written here independently of the exporter)."""
    start = glob.find("{")
    if start == -1:
        return [glob]
    end = glob.index("}", start)
    return [
        result
        for option in glob[start + 1 : end].split(",")
        for result in expand(glob[:start] + option + glob[end + 1 :])
    ]


def expanded_globs(section: Section) -> list[str]:
    result: list[str] = []
    for glob in section_globs(section):
        result.extend(part for part in expand(glob) if part not in result)
    return result


def section_description(section: Section) -> str:
    return " ".join((section.description or f"{section.title} rules").split())


def per_section_files(
    pack: Pack, target_id: str, profile: Profile = Profile.FULL
) -> Iterator[tuple[Section, str]]:
    """``(section, text)`` for every per-section file of the target, checking the selection."""
    target = TARGETS_BY_ID[target_id]
    rendered = {file.path: file.text for file in render_target(pack, target, profile).files}
    for spec in target.files:
        if spec.layout is not Layout.PER_SECTION:
            continue
        for section in pack.sections:
            path = spec.path.format(section=section.id)
            always = section.activation is Activation.ALWAYS
            selected = (
                spec.select is Selection.ALL
                or (spec.select is Selection.ALWAYS and always)
                or (spec.select is Selection.SCOPED and not always)
            )
            assert (path in rendered) == selected, f"{target_id}: {path}"
            if selected:
                yield section, rendered[path]


# --- Cursor --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pack_name", PACKS)
def test_cursor_mdc_frontmatter_reads_as_the_section_scope(pack_name: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), "cursor"):
        fields = lenient_fields(text)
        assert list(fields) == ["description", "globs", "alwaysApply"], section.id
        assert fields["alwaysApply"] in {"true", "false"}
        assert isinstance(yaml_reads_as("alwaysApply", fields["alwaysApply"]), bool)
        description = lenient_string(fields["description"])
        assert description == section_description(section)
        # Where the value is plain, a strict YAML reader must agree with the lenient one.
        assert yaml_reads_as("description", fields["description"]) == description
        assert yaml_reads_as("description", fields["description"], "1.1") == description
        globs = lenient_globs(fields["globs"])
        if section.activation is Activation.GLOB:
            assert fields["alwaysApply"] == "false"
            assert globs == expanded_globs(section), section.id
        elif section.activation is Activation.ALWAYS:
            assert fields["alwaysApply"] == "true"
            assert globs == []
        else:
            assert fields["alwaysApply"] == "false"
            assert globs == []
            assert description


# --- Windsurf, Devin Desktop, Antigravity --------------------------------------------------------


@pytest.mark.parametrize("target_id", WINDSURF_LIKE)
@pytest.mark.parametrize("pack_name", PACKS)
def test_windsurf_style_trigger_and_csv_globs(pack_name: str, target_id: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), target_id):
        fields = lenient_fields(text)
        description = lenient_string(fields["description"])
        assert description == section_description(section)
        if section.activation is Activation.GLOB:
            assert list(fields) == ["trigger", "globs", "description"]
            assert fields["trigger"] == "glob"
            assert lenient_globs(fields["globs"]) == expanded_globs(section), section.id
        elif section.activation is Activation.ALWAYS:
            assert list(fields) == ["trigger", "description"]
            assert fields["trigger"] == "always_on"
        else:
            assert list(fields) == ["trigger", "description"]
            assert fields["trigger"] == "model_decision"
            assert description


@pytest.mark.parametrize("target_id", WINDSURF_LIKE)
def test_windsurf_style_files_fit_12000_characters_for_the_builtin_pack(target_id: str) -> None:
    pack = pack_named("fastapi")
    target = TARGETS_BY_ID[target_id]
    (spec,) = target.files
    assert spec.char_limit == 12_000
    unfitted = {
        file.path: file.text
        for file in render_file(pack, pack_view(pack), target, spec, Profile.FULL)
    }
    for file in render_target(pack, target, Profile.FULL).files:
        assert len(file.text) <= 12_000, f"{file.path}: {len(file.text):,} characters"
        if len(unfitted[file.path]) > 12_000:
            assert file.profile is not Profile.FULL
            assert spec.limit_note in file.note
            assert f"{len(unfitted[file.path]):,}" in file.note
        else:
            assert (file.profile, file.note, file.text) == (
                Profile.FULL,
                "",
                unfitted[file.path],
            )


# --- GitHub Copilot ----------------------------------------------------------------------------


@pytest.mark.parametrize("pack_name", PACKS)
def test_copilot_instructions_frontmatter(pack_name: str) -> None:
    pack = pack_named(pack_name)
    for section, text in per_section_files(pack, "copilot"):
        data = yaml_frontmatter(text)
        assert set(data) <= {"applyTo", "name", "description", "excludeAgent"}, section.id
        assert isinstance(data["description"], str)
        assert data["description"] == section_description(section)
        assert data["name"] == section.title
        if section.activation is Activation.GLOB:
            assert isinstance(data["applyTo"], str)
            assert data["applyTo"].split(",") == expanded_globs(section), section.id
        else:
            assert "applyTo" not in data, section.id
            assert data["description"]
    result = render_target(pack, TARGETS_BY_ID["copilot"], Profile.FULL)
    (repo_wide,) = [f for f in result.files if f.path == ".github/copilot-instructions.md"]
    assert split_frontmatter(repo_wide.text)[0] is None


# --- Claude Code, Cline, Qwen Code ---------------------------------------------------------------


@pytest.mark.parametrize("target_id", PATHS_LISTS)
@pytest.mark.parametrize("pack_name", PACKS)
def test_paths_is_a_yaml_list_of_the_globs(pack_name: str, target_id: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), target_id):
        if section.activation is Activation.GLOB:
            data = yaml_frontmatter(text)
            assert list(data) == ["paths"], section.id
            assert isinstance(data["paths"], list)
            assert data["paths"] == section_globs(section), section.id
        else:
            # No frontmatter: always loaded (Claude has no description-based loading here).
            assert not text.startswith("---"), section.id


def test_claude_md_has_no_frontmatter_and_holds_the_always_sections() -> None:
    pack = pack_named("scopes")
    result = render_target(pack, TARGETS_BY_ID["claude"], Profile.FULL)
    (claude_md,) = [f for f in result.files if f.path == "CLAUDE.md"]
    assert not claude_md.text.startswith("---")
    for section in pack.sections:
        in_claude_md = f"## {section.title}\n" in claude_md.text
        assert in_claude_md == (section.activation is Activation.ALWAYS), section.id
        if section.activation is not Activation.ALWAYS:
            assert f"`.claude/rules/rulepack-{section.id}.md`" in claude_md.text


# --- Kiro, Continue, Augment ---------------------------------------------------------------------


@pytest.mark.parametrize("pack_name", PACKS)
def test_kiro_steering_inclusion(pack_name: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), "kiro"):
        data = yaml_frontmatter(text)
        if section.activation is Activation.GLOB:
            assert list(data) == ["inclusion", "fileMatchPattern"], section.id
            assert data["inclusion"] == "fileMatch"
            assert isinstance(data["fileMatchPattern"], list)
            assert data["fileMatchPattern"] == section_globs(section)
        elif section.activation is Activation.ALWAYS:
            assert data == {"inclusion": "always"}
        else:
            assert data == {
                "inclusion": "auto",
                "name": f"rulepack-{section.id}",
                "description": section_description(section),
            }


@pytest.mark.parametrize("pack_name", PACKS)
def test_continue_rule_frontmatter(pack_name: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), "continue"):
        data = yaml_frontmatter(text)
        assert set(data) <= {"name", "globs", "description", "alwaysApply"}, section.id
        assert data["name"] == section.title
        assert isinstance(data["description"], str)
        assert data["description"] == section_description(section)
        assert isinstance(data["alwaysApply"], bool)
        assert data["alwaysApply"] is (section.activation is Activation.ALWAYS)
        if section.activation is Activation.GLOB:
            assert isinstance(data["globs"], list)
            assert data["globs"] == section_globs(section)
        else:
            assert "globs" not in data, section.id


@pytest.mark.parametrize("pack_name", PACKS)
def test_augment_rule_type(pack_name: str) -> None:
    for section, text in per_section_files(pack_named(pack_name), "augment"):
        data = yaml_frontmatter(text)
        assert list(data) == ["type", "description"], section.id
        expected = (
            "agent_requested" if section.activation is Activation.REQUESTED else "always_apply"
        )
        assert data["type"] == expected
        assert isinstance(data["description"], str)
        assert data["description"] == section_description(section)


# --- Files without frontmatter -------------------------------------------------------------------


@pytest.mark.parametrize("target_id", PLAIN)
@pytest.mark.parametrize("pack_name", PACKS)
def test_plain_targets_have_no_frontmatter(pack_name: str, target_id: str) -> None:
    files = list(per_section_files(pack_named(pack_name), target_id))
    assert files
    for section, text in files:
        assert not text.startswith("---"), section.id
        assert text.startswith("<!-- Generated by rulepack")


@pytest.mark.parametrize("pack_name", PACKS)
def test_shared_files_carry_no_frontmatter(pack_name: str) -> None:
    pack = pack_named(pack_name)
    for target in TARGETS:
        for file in render_target(pack, target, Profile.COMPACT).files:
            if file.mode is WriteMode.BLOCK:
                assert not file.text.startswith("---"), file.path


# --- Markdown bodies -----------------------------------------------------------------------------


def _prose_and_code(markdown: str) -> tuple[str, str]:
    """Text outside code blocks and text inside them, as a CommonMark parser splits them."""
    prose: list[str] = []
    code: list[str] = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type in {"fence", "code_block"}:
            code.append(token.content)
        elif token.type == "inline":
            prose.append(token.content)
    return "\n".join(prose), "\n".join(code)


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.COMPACT, Profile.TITLES])
@pytest.mark.parametrize("pack_name", ["mini", "scopes"])
def test_rule_ids_and_headings_stay_outside_code_blocks(pack_name: str, profile: Profile) -> None:
    # A code fence left open (or closed by a line with text after it) would swallow the rules
    # that follow it into a code block.
    pack = pack_named(pack_name)
    for target in TARGETS:
        for file in render_target(pack, target, profile).files:
            if file.spec.layout is Layout.CONFIG:
                continue
            _, body = split_frontmatter(file.text)
            prose, _ = _prose_and_code(body)
            for section in pack.sections:
                for rule in section.rules:
                    if rule.id in body:
                        assert rule.id in prose, f"{target.id} {profile.value}: {file.path}"


# --- Glob edge cases -----------------------------------------------------------------------------


def test_brace_globs_expand_for_comma_separated_targets() -> None:
    assert expand_braces("**/*.{py,pyi}") == ["**/*.py", "**/*.pyi"]
    assert csv_globs(["**/*.{py,pyi}"]) == "**/*.py,**/*.pyi"
    assert csv_globs(["{src,tests}/**/*.{py,pyi}"]).split(",") == [
        "src/**/*.py",
        "src/**/*.pyi",
        "tests/**/*.py",
        "tests/**/*.pyi",
    ]
    # A glob an expansion already produced is not repeated.
    assert csv_globs(["**/*.{py,pyi}", "**/*.py"]) == "**/*.py,**/*.pyi"


def _with_globs(pack: Pack, section_id: str, globs: tuple[str, ...]) -> Pack:
    def changed(section: Section) -> Section:
        rules = tuple(rule.model_copy(update={"applies_to": globs}) for rule in section.rules)
        return section.model_copy(update={"rules": rules})

    sections = tuple(changed(s) if s.id == section_id else s for s in pack.sections)
    return pack.model_copy(update={"sections": sections})


@pytest.mark.parametrize("target_id", ["cursor", "copilot", *WINDSURF_LIKE])
def test_a_glob_with_a_bare_comma_is_refused_by_csv_targets(target_id: str) -> None:
    pack = _with_globs(pack_named("mini"), "basics", ("src/a,b.py",))
    with pytest.raises(ExportError, match=r"'src/a,b\.py' holds a comma"):
        render_target(pack, TARGETS_BY_ID[target_id], Profile.FULL)


@pytest.mark.parametrize("target_id", [*PATHS_LISTS, "kiro", "continue"])
def test_list_targets_keep_braces_as_written(target_id: str) -> None:
    pack = _with_globs(pack_named("mini"), "basics", ("**/*.{py,pyi}", "docs/*.md"))
    (section,) = [s for s in pack.sections if s.id == "basics"]
    (text,) = [text for s, text in per_section_files(pack, target_id) if s.id == "basics"]
    data = yaml_frontmatter(text)
    key = {"kiro": "fileMatchPattern", "continue": "globs"}.get(target_id, "paths")
    assert data[key] == ["**/*.{py,pyi}", "docs/*.md"] == section_globs(section)


@pytest.mark.parametrize(
    "value",
    [
        "General rules",
        "true",
        "False",
        "null",
        "yes",
        "off",
        "42",
        "1.5",
        "2026-08-01",
        "12:30",
        "1_000",
        "Alembic migrations: use when editing one",
        "Style #1 rules",
        "`.py` files",
        "'quoted' start",
        "ends with a colon:",
        "[not a list]",
        "*.py files",
    ],
)
def test_mdc_values_read_back_unchanged_by_yaml_and_by_a_line_reader(value: str) -> None:
    raw = mdc_value(value)
    assert "\n" not in raw
    assert yaml_reads_as("description", raw) == value
    assert yaml_reads_as("description", raw, "1.1") == value
    assert lenient_string(raw) == value
