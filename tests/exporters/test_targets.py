"""Golden files for every target, and the rules the target registry itself must keep.

Each target is rendered with ``render_target`` for two small packs (``fixtures/packs/mini`` and
``fixtures/packs/scopes``) and the profiles ``full`` and ``compact``. Every file's text must equal
``tests/exporters/golden/<pack>/<profile>/<target>/<path>`` (for a shared file, the body of
rulepack's marked block), and the golden directory must hold no file the target no longer writes.

After an intended change to a template or a fixture pack, regenerate the golden files and read
the diff before committing it:

    RULEPACK_UPDATE_GOLDEN=1 pytest tests/exporters/test_targets.py

Without that variable a missing, stale or different golden file fails the test.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulepack.cli import app
from rulepack.errors import UsageError
from rulepack.exporters.render import render_target
from rulepack.exporters.targets import (
    TARGETS,
    TARGETS_BY_ID,
    Layout,
    Target,
    WriteMode,
    resolve_targets,
    target_ids,
)
from rulepack.exporters.views import Profile
from rulepack.rules.loader import load_pack
from rulepack.rules.model import Pack
from tests.conftest import REPO

GOLDEN = Path(__file__).resolve().parent / "golden"
# Golden files end in .golden so that no assistant working in this repository takes them for
# its own rule files (CLAUDE.md, .cursor/rules/*.mdc and the like are loaded from subdirectories).
SUFFIX = ".golden"
TEMPLATES = REPO / "rulepack" / "exporters" / "templates"
UPDATE_ENV = "RULEPACK_UPDATE_GOLDEN"
UPDATE_COMMAND = f"{UPDATE_ENV}=1 pytest tests/exporters/test_targets.py"
GOLDEN_PACKS = ("mini", "scopes")
PROFILES = (Profile.FULL, Profile.COMPACT)
# Outputs built in Python rather than from a Jinja2 template (render._config_text).
BUILT_IN_OUTPUTS = {"pack.json"}
# Files people edit too: rulepack may only write a marked block in them.
SHARED_FILES = (
    "AGENTS.md",
    "CLAUDE.md",
    ".github/copilot-instructions.md",
    "GEMINI.md",
    "CONVENTIONS.md",
    ".rules",
    ".goosehints",
)

runner = CliRunner()


@cache
def fixture_pack(name: str) -> Pack:
    return load_pack(REPO / "fixtures" / "packs" / name)


def _updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


def _golden_files(directory: Path) -> list[Path]:
    # `ruff check .` takes the golden .rulepack/ruff.toml files for project configs and leaves a
    # .ruff_cache (git-ignored by its own .gitignore) beside each: not a golden file.
    return [
        path
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".ruff_cache" not in path.relative_to(directory).parts
    ]


def _read_tree(directory: Path) -> dict[str, str]:
    """Golden texts by the path the target writes (stored with a ``.golden`` suffix)."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix().removesuffix(SUFFIX): path.read_bytes().decode()
        for path in _golden_files(directory)
    }


def _write_tree(directory: Path, files: dict[str, str]) -> None:
    for stale in set(_read_tree(directory)) - set(files):
        (directory / (stale + SUFFIX)).unlink()
    for relative, text in files.items():
        path = directory / (relative + SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    for folder in sorted(directory.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _diff(expected: str, actual: str, path: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"golden/{path}",
        tofile=f"rendered/{path}",
    )
    return "".join(list(lines)[:60])


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
@pytest.mark.parametrize("pack_name", GOLDEN_PACKS)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.id)
def test_rendered_files_match_golden(target: Target, pack_name: str, profile: Profile) -> None:
    result = render_target(fixture_pack(pack_name), target, profile)
    rendered = {file.path: file.text for file in result.files}
    assert len(rendered) == len(result.files), "two files of one target share a path"
    directory = GOLDEN / pack_name / profile.value / target.id
    if _updating():
        _write_tree(directory, rendered)
    golden = _read_tree(directory)
    where = directory.relative_to(REPO).as_posix()
    problems = [
        f"missing golden file {where}/{path}" for path in sorted(set(rendered) - set(golden))
    ]
    problems += [
        f"stale golden file {where}/{path}: {target.id} no longer writes it"
        for path in sorted(set(golden) - set(rendered))
    ]
    problems += [
        f"{where}/{path} differs from the rendered text:\n{_diff(golden[path], text, path)}"
        for path, text in rendered.items()
        if path in golden and golden[path] != text
    ]
    assert not problems, "\n".join(problems) + f"\nIf the change is intended, run: {UPDATE_COMMAND}"


def test_golden_tree_holds_only_known_packs_profiles_and_targets() -> None:
    expected = {
        f"{pack}/{profile.value}/{target.id}"
        for pack in GOLDEN_PACKS
        for profile in PROFILES
        for target in TARGETS
    }
    present = {
        path.relative_to(GOLDEN).as_posix()
        for path in GOLDEN.glob("*/*/*")
        if path.is_dir() or path.is_file()
    }
    assert present == expected, f"unexpected golden folders: {sorted(present - expected)}"


def test_golden_files_carry_the_generated_header_of_their_pack() -> None:
    # A cheap guard against golden files copied between packs by hand.
    for pack in GOLDEN_PACKS:
        version = fixture_pack(pack).version
        for path in _golden_files(GOLDEN / pack):
            text = path.read_text(encoding="utf-8")
            assert f"from pack {pack} {version}." in text, path


# --- The registry ---------------------------------------------------------------------------


def test_target_ids_are_unique_slugs_and_indexed() -> None:
    ids = [target.id for target in TARGETS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", target_id) for target_id in ids)
    assert list(TARGETS_BY_ID) == ids
    assert target_ids(all_targets=True) == tuple(ids)
    assert set(target_ids()) == {target.id for target in TARGETS if target.in_all}


def test_every_target_names_the_documentation_it_was_checked_against() -> None:
    for target in TARGETS:
        assert target.checked.strip(), f"{target.id} has no checked source"
        writes_rules = any(spec.layout is not Layout.CONFIG for spec in target.files)
        if writes_rules:
            # An assistant's format: a documentation address or a repository path.
            assert re.search(r"[a-z0-9-]+\.[a-z]{2,}|\w/\w", target.checked), target.id
            assert "n/a" not in target.checked, target.id


def test_every_template_exists() -> None:
    for target in TARGETS:
        for spec in target.files:
            if spec.template in BUILT_IN_OUTPUTS:
                assert spec.layout is Layout.CONFIG, f"{target.id}: {spec.path}"
                continue
            assert (TEMPLATES / spec.template).is_file(), f"{target.id}: {spec.template}"


def test_paths_are_relative_and_per_section_paths_name_the_section() -> None:
    for target in TARGETS:
        for spec in target.files:
            assert not spec.path.startswith(("/", "~")), spec.path
            assert ".." not in spec.path.split("/"), spec.path
            if spec.layout is Layout.PER_SECTION:
                assert "{section}" in spec.path, f"{target.id}: {spec.path}"
                assert spec.mode is WriteMode.OWNED, f"{target.id}: {spec.path}"
            else:
                assert "{" not in spec.path, f"{target.id}: {spec.path}"


def test_no_two_targets_write_the_same_path() -> None:
    owners: dict[str, str] = {}
    for target in TARGETS:
        for path in target.paths():
            assert path not in owners, f"{path} is written by {owners[path]} and {target.id}"
            owners[path] = target.id


def test_files_people_also_edit_are_written_as_marked_blocks() -> None:
    specs = {spec.path: spec for target in TARGETS for spec in target.files}
    for path in SHARED_FILES:
        assert path in specs, f"no target writes {path}"
        assert specs[path].mode is WriteMode.BLOCK, path
        assert specs[path].layout is Layout.SINGLE, path


def test_aider_config_is_merged_not_written() -> None:
    aider = TARGETS_BY_ID["aider"]
    assert ".aider.conf.yml" not in {spec.path for t in TARGETS for spec in t.files}
    (merge,) = aider.merges
    assert (merge.path, merge.key, merge.format) == (".aider.conf.yml", "read", "yaml")
    assert merge.values == ("CONVENTIONS.md",)
    assert "CONVENTIONS.md" in {spec.path for spec in aider.files}


def test_size_limits_are_documented() -> None:
    for target in TARGETS:
        for spec in target.files:
            if spec.char_limit is not None or spec.byte_limit is not None:
                assert spec.limit_note, f"{target.id}: {spec.path} has a limit without a note"
    for name in ("windsurf", "devin", "antigravity"):
        (spec,) = TARGETS_BY_ID[name].files
        assert spec.char_limit == 12_000
    (agents,) = TARGETS_BY_ID["agents-md"].files
    assert agents.byte_limit == 32 * 1024


def test_resolve_targets_keeps_registry_order_and_refuses_unknown_ids() -> None:
    assert resolve_targets(["kiro,cursor", " claude "], all_targets=False) == (
        "claude",
        "cursor",
        "kiro",
    )
    assert "cursor-legacy" not in resolve_targets([], all_targets=True)
    with pytest.raises(UsageError, match="unknown target nope"):
        resolve_targets(["cursor,nope"], all_targets=False)


def test_targets_json_lists_every_target_with_ownership() -> None:
    result = runner.invoke(app, ["targets", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [entry["id"] for entry in document] == [target.id for target in TARGETS]
    for entry in document:
        target = TARGETS_BY_ID[entry["id"]]
        assert entry["name"] == target.name
        assert entry["checked"] == target.checked
        assert entry["in_all"] is target.in_all
        listed = {file["path"]: file["ownership"] for file in entry["files"]}
        assert list(listed) == list(target.paths())
        for spec in target.files:
            expected = "owned" if spec.mode is WriteMode.OWNED else "shared"
            assert listed[spec.path] == expected, f"{target.id}: {spec.path}"
        for merge in target.merges:
            assert listed[merge.path] == "shared"
    shared = {
        file["path"]
        for entry in document
        for file in entry["files"]
        if file["ownership"] == "shared"
    }
    assert {*SHARED_FILES, ".aider.conf.yml"} <= shared
