"""The installer through the library: plan_install, apply_plan and plan_uninstall on real trees."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rulepack.errors import RulepackError
from rulepack.exporters.install import fs
from rulepack.exporters.install.blocks import BlockError, block_body, find_block
from rulepack.exporters.install.fs import UnsafePathError, atomic_write
from rulepack.exporters.install.manifest import MANIFEST_PATH, read_manifest, sha256
from rulepack.exporters.install.plan import (
    Action,
    InstallConflictError,
    apply_plan,
    plan_install,
    plan_uninstall,
)
from rulepack.exporters.render import (
    GENERATED_MARK,
    ExportError,
    block_markers,
    render_target,
)
from rulepack.exporters.targets import TARGETS_BY_ID, WriteMode, target_ids
from rulepack.exporters.views import Profile
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack
from tests.conftest import MINI_PACK

ALL = target_ids()

HAND_WRITTEN = {
    "CLAUDE.md": b"# My Claude notes\n\nUse `uv run pytest`.\n",
    "AGENTS.md": b"# Agents\r\n\r\nRun `make test` before committing.\r\nNo trailing blank",
    ".cursor/rules/mine.mdc": b"---\ndescription: Mine\nalwaysApply: true\n---\n\nMy rule.\n",
    ".aider.conf.yml": b"# my aider settings\nmodel:   sonnet   # the good one\nread: NOTES.md\n",
}


# --- helpers shared with test_cli_install ---------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) under ``root``, by relative POSIX path."""
    tree: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            tree[relative] = b"-> " + str(path.readlink()).encode()
        elif path.is_dir():
            tree[relative] = None
        else:
            tree[relative] = path.read_bytes()
    return tree


def stamps(root: Path) -> dict[str, tuple[int, int]]:
    """``(st_mtime_ns, st_ino)`` of every file under ``root``."""
    return {
        path.relative_to(root).as_posix(): (path.stat().st_mtime_ns, path.stat().st_ino)
        for path in root.rglob("*")
        if path.is_file()
    }


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def mini() -> Pack:
    return load_pack(MINI_PACK)


def install(project: Path, pack: Pack, targets: tuple[str, ...] = ALL, **kwargs: bool) -> int:
    return apply_plan(plan_install(project, pack, targets, Profile.FULL, **kwargs))


def rendered_files(pack: Pack, targets: tuple[str, ...]) -> dict[str, tuple[WriteMode, str]]:
    files: dict[str, tuple[WriteMode, str]] = {}
    for target in targets:
        for rendered in render_target(pack, TARGETS_BY_ID[target], Profile.FULL).files:
            files[rendered.path] = (rendered.mode, rendered.text)
    return files


@pytest.fixture(scope="module")
def fastapi() -> Pack:
    return load_pack(resolve_pack_dir("fastapi"))


# --- install --all: empty and hand-written projects -----------------------------------------


def assert_installed_correctly(project: Path, pack: Pack) -> None:
    """Every rendered file is on disk as rendered; the manifest records each with its hash."""
    manifest = read_manifest(project)
    assert manifest is not None
    assert manifest.pack == pack.id
    assert set(manifest.targets) == set(ALL)
    expected = rendered_files(pack, ALL)
    merges = {spec.path for t in ALL for spec in TARGETS_BY_ID[t].merges}
    assert {entry.path for entry in manifest.files} == set(expected) | merges
    for entry in manifest.files:
        text = (project / entry.path).read_text(encoding="utf-8")
        if entry.mode is WriteMode.OWNED:
            assert expected[entry.path] == (WriteMode.OWNED, text)
            assert entry.sha256 == sha256(text)
            assert GENERATED_MARK + pack.id in text
        elif entry.mode is WriteMode.BLOCK:
            begin, end = block_markers(pack.id, TARGETS_BY_ID[entry.targets[0]].files[0].comment)
            assert block_body(text, begin, end, entry.path) == expected[entry.path][1]
            assert entry.sha256 == sha256(expected[entry.path][1])
        else:
            assert entry.sha256 == sha256(text)
        assert len(entry.sha256) == 64


def test_install_all_into_an_empty_project(tmp_path: Path) -> None:
    pack = mini()
    changed = install(tmp_path, pack)
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert changed == len(manifest.files)
    assert all(entry.created for entry in manifest.files)
    assert_installed_correctly(tmp_path, pack)
    agents = (tmp_path / "AGENTS.md").read_text()
    assert agents.startswith("<!-- rulepack:begin mini -->\n")
    assert agents.endswith("<!-- rulepack:end mini -->\n")
    assert YAML(typ="safe").load((tmp_path / ".aider.conf.yml").read_text()) == {
        "read": ["CONVENTIONS.md"]
    }
    assert json.loads((tmp_path / "opencode.json").read_text())["instructions"] == [
        ".opencode/rules/rulepack-*.md"
    ]


def test_install_all_keeps_every_hand_written_byte(tmp_path: Path) -> None:
    write_tree(tmp_path, HAND_WRITTEN)
    pack = mini()
    install(tmp_path, pack)
    assert_installed_correctly(tmp_path, pack)
    for name in ("CLAUDE.md", "AGENTS.md"):
        assert (tmp_path / name).read_bytes().startswith(HAND_WRITTEN[name])
    agents = (tmp_path / "AGENTS.md").read_bytes()
    assert agents.count(b"\n") == agents.count(b"\r\n")  # the block follows the CRLF file
    assert (tmp_path / ".cursor/rules/mine.mdc").read_bytes() == HAND_WRITTEN[
        ".cursor/rules/mine.mdc"
    ]
    aider = (tmp_path / ".aider.conf.yml").read_text()
    assert aider.startswith("# my aider settings\nmodel:   sonnet   # the good one\n")
    assert YAML(typ="safe").load(aider)["read"] == ["NOTES.md", "CONVENTIONS.md"]
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    created = {entry.path: entry.created for entry in manifest.files}
    assert not created["CLAUDE.md"]
    assert not created["AGENTS.md"]
    assert not created[".aider.conf.yml"]
    assert created["GEMINI.md"]
    assert manifest.entry(".cursor/rules/mine.mdc") is None


@pytest.mark.parametrize("hand_written", [False, True])
def test_second_install_writes_nothing(tmp_path: Path, hand_written: bool) -> None:
    if hand_written:
        write_tree(tmp_path, HAND_WRITTEN)
    pack = mini()
    install(tmp_path, pack)
    before, times = snapshot(tmp_path), stamps(tmp_path)
    plan = plan_install(tmp_path, pack, ALL, Profile.FULL)
    assert plan.is_noop
    assert plan.changes == ()
    assert plan.drift() == []
    assert apply_plan(plan) == 0
    assert snapshot(tmp_path) == before
    assert stamps(tmp_path) == times
    assert MANIFEST_PATH in times


def test_install_subset_then_more_targets_keeps_the_first(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack, ("cursor",))
    install(tmp_path, pack, ("claude", "aider"))
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert manifest.targets == ("aider", "claude", "cursor")
    assert manifest.entry(".cursor/rules/rulepack-web.mdc") is not None
    assert (tmp_path / ".cursor/rules/rulepack-web.mdc").exists()


# --- drift ----------------------------------------------------------------------------------


def drift(project: Path, pack: Pack) -> list[str]:
    return plan_install(project, pack, ALL, Profile.FULL).drift()


def test_drift_names_an_edited_owned_file(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack)
    path = tmp_path / ".cursor/rules/rulepack-basics.mdc"
    path.write_text(path.read_text() + "my addition\n")
    assert drift(tmp_path, pack) == [
        "changed: .cursor/rules/rulepack-basics.mdc (edited by hand since rulepack wrote it)"
    ]


def test_drift_names_a_deleted_file(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack)
    (tmp_path / ".clinerules/rulepack-web.md").unlink()
    assert drift(tmp_path, pack) == ["missing: .clinerules/rulepack-web.md"]


def test_drift_names_an_edited_block(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack)
    path = tmp_path / "AGENTS.md"
    path.write_text(path.read_text().replace("Mount every router", "Mount some routers"))
    assert drift(tmp_path, pack) == ["changed: AGENTS.md"]


def test_drift_ignores_edits_outside_the_block(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack)
    path = tmp_path / "AGENTS.md"
    path.write_text("# Mine, added later\n\n" + path.read_text() + "\nand after\n")
    assert drift(tmp_path, pack) == []


def drop_web_section(pack_dir: Path) -> None:
    pack_yaml = pack_dir / "pack.yaml"
    pack_yaml.write_text(
        pack_yaml.read_text().replace("sections: [basics, web]", "sections: [basics]")
    )
    (pack_dir / "web.yaml").unlink()


def test_stale_files_are_reported_then_removed(mini_pack: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    install(project, load_pack(mini_pack))
    drop_web_section(mini_pack)
    smaller = load_pack(mini_pack)
    lines = drift(project, smaller)
    stale = sorted(line for line in lines if line.startswith("stale: "))
    manifest = read_manifest(project)
    assert manifest is not None
    web_files = sorted(e.path for e in manifest.files if "rulepack-web" in e.path)
    assert web_files  # one per section-file target
    assert stale == [f"stale: {path}" for path in web_files]
    install(project, smaller)
    for path in web_files:
        assert not (project / path).exists()
    after = read_manifest(project)
    assert after is not None
    assert not any("rulepack-web" in entry.path for entry in after.files)
    assert drift(project, smaller) == []


def test_stale_file_edited_by_hand_is_a_conflict(mini_pack: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    install(project, load_pack(mini_pack), ("cursor",))
    edited = project / ".cursor/rules/rulepack-web.mdc"
    edited.write_text("mine now\n")
    drop_web_section(mini_pack)
    with pytest.raises(InstallConflictError, match=r"rulepack-web\.mdc: edited by hand"):
        install(project, load_pack(mini_pack), ("cursor",))
    assert edited.read_text() == "mine now\n"


# --- dry run (the plan is pure) -------------------------------------------------------------


def test_planning_writes_nothing_and_diffs_every_change(tmp_path: Path) -> None:
    write_tree(tmp_path, HAND_WRITTEN)
    before = snapshot(tmp_path)
    plan = plan_install(tmp_path, mini(), ALL, Profile.FULL)
    assert snapshot(tmp_path) == before
    by_path = {change.path: change for change in plan.changes}
    claude = by_path["CLAUDE.md"]
    assert claude.action is Action.UPDATE
    diff = claude.diff()
    assert diff.startswith("--- a/CLAUDE.md\n+++ b/CLAUDE.md\n")
    assert "+<!-- rulepack:begin mini -->\n" in diff
    created = by_path["GEMINI.md"].diff()
    assert created.startswith("--- /dev/null\n+++ b/GEMINI.md\n")


# --- uninstall ------------------------------------------------------------------------------


@pytest.mark.parametrize("hand_written", [False, True])
def test_uninstall_restores_the_tree_exactly(tmp_path: Path, hand_written: bool) -> None:
    if hand_written:
        write_tree(tmp_path, HAND_WRITTEN)
    before = snapshot(tmp_path)
    install(tmp_path, mini())
    install(tmp_path, mini())
    apply_plan(plan_uninstall(tmp_path))
    assert snapshot(tmp_path) == before
    assert not (tmp_path / ".rulepack").exists()


def test_uninstall_keeps_directories_that_were_there_before(tmp_path: Path) -> None:
    write_tree(tmp_path, HAND_WRITTEN)
    for directory in (".github", ".kiro/steering", ".rulepack"):
        (tmp_path / directory).mkdir(parents=True)
    before = snapshot(tmp_path)
    install(tmp_path, mini())
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert ".github/instructions" in manifest.directories
    assert ".claude/rules" in manifest.directories
    assert ".claude" in manifest.directories
    assert not {".github", ".kiro", ".kiro/steering", ".rulepack", ".cursor/rules"} & set(
        manifest.directories
    )
    apply_plan(plan_uninstall(tmp_path))
    assert snapshot(tmp_path) == before


def test_uninstall_keeps_a_created_directory_that_holds_user_files(tmp_path: Path) -> None:
    install(tmp_path, mini(), ("kiro",))
    (tmp_path / ".kiro/steering/mine.md").write_text("mine\n")
    apply_plan(plan_uninstall(tmp_path))
    assert snapshot(tmp_path) == {
        ".kiro": None,
        ".kiro/steering": None,
        ".kiro/steering/mine.md": b"mine\n",
    }


def test_uninstall_keeps_user_edits_outside_blocks(tmp_path: Path) -> None:
    write_tree(tmp_path, HAND_WRITTEN)
    install(tmp_path, mini())
    claude = tmp_path / "CLAUDE.md"
    claude.write_bytes(b"# Added on top\n" + claude.read_bytes() + b"\n## Added below\n")
    apply_plan(plan_uninstall(tmp_path))
    assert (
        claude.read_bytes()
        == b"# Added on top\n" + HAND_WRITTEN["CLAUDE.md"] + b"\n## Added below\n"
    )


def test_uninstall_one_target_keeps_the_others(tmp_path: Path) -> None:
    write_tree(tmp_path, HAND_WRITTEN)
    install(tmp_path, mini(), ("cursor", "claude"))
    apply_plan(plan_uninstall(tmp_path, ("claude",)))
    assert (tmp_path / "CLAUDE.md").read_bytes() == HAND_WRITTEN["CLAUDE.md"]
    assert not (tmp_path / ".claude").exists()
    assert (tmp_path / ".cursor/rules/rulepack-web.mdc").exists()
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert manifest.targets == ("cursor",)
    assert {entry.path for entry in manifest.files} == {
        ".cursor/rules/rulepack-basics.mdc",
        ".cursor/rules/rulepack-web.mdc",
    }


def test_uninstall_without_manifest_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulepackError, match="nothing installed here"):
        plan_uninstall(tmp_path)


def test_uninstall_when_a_file_was_deleted_by_hand(tmp_path: Path) -> None:
    install(tmp_path, mini())
    (tmp_path / "GEMINI.md").unlink()
    shutil.rmtree(tmp_path / ".kiro")
    apply_plan(plan_uninstall(tmp_path))
    assert list(tmp_path.iterdir()) == []


# --- conflicts ------------------------------------------------------------------------------


def test_existing_file_at_an_owned_path_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {".cursor/rules/rulepack-basics.mdc": b"my own rules\n"})
    before = snapshot(tmp_path)
    plan = plan_install(tmp_path, mini(), ALL, Profile.FULL)
    with pytest.raises(InstallConflictError) as raised:
        apply_plan(plan)
    assert [str(c) for c in raised.value.conflicts] == [
        ".cursor/rules/rulepack-basics.mdc: exists and was not written by rulepack"
    ]
    assert "--force" in raised.value.lines()[-1]
    assert raised.value.exit_code == 1
    assert snapshot(tmp_path) == before


def test_force_replaces_a_file_at_an_owned_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {".cursor/rules/rulepack-basics.mdc": b"my own rules\n"})
    pack = mini()
    install(tmp_path, pack, force=True)
    assert_installed_correctly(tmp_path, pack)


def test_owned_file_edited_by_hand_is_refused_on_install_and_uninstall(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack)
    edited = tmp_path / ".kiro/steering/rulepack-web.md"
    edited.write_text(edited.read_text() + "mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(InstallConflictError, match="edited by hand"):
        install(tmp_path, pack)
    assert snapshot(tmp_path) == before
    with pytest.raises(InstallConflictError, match=r"\.kiro/steering/rulepack-web\.md"):
        apply_plan(plan_uninstall(tmp_path))
    assert snapshot(tmp_path) == before
    apply_plan(plan_uninstall(tmp_path, force=True))
    assert list(tmp_path.iterdir()) == []


def test_file_with_generated_header_but_no_manifest_is_replaced(tmp_path: Path) -> None:
    pack = mini()
    install(tmp_path, pack, ("cursor",))
    (tmp_path / MANIFEST_PATH).unlink()
    path = tmp_path / ".cursor/rules/rulepack-web.mdc"
    path.write_text(path.read_text() + "older output\n")
    install(tmp_path, pack, ("cursor",))
    assert "older output" not in path.read_text()


def test_damaged_block_is_refused_with_the_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"AGENTS.md": b"mine\n<!-- rulepack:begin mini -->\nhalf a block\n"})
    with pytest.raises(BlockError, match=r"^AGENTS\.md: .*no matching"):
        plan_install(tmp_path, mini(), ("agents-md",), Profile.FULL)


# --- refused paths --------------------------------------------------------------------------


def add_manifest_entry(project: Path, path: str, content: bytes) -> None:
    manifest_file = project / MANIFEST_PATH
    data = json.loads(manifest_file.read_text())
    data["files"].append(
        {
            "path": path,
            "mode": "owned",
            "targets": ["cursor"],
            "sha256": sha256(content.decode()),
            "created": True,
        }
    )
    manifest_file.write_text(json.dumps(data))


@pytest.mark.parametrize("absolute", [False, True])
def test_manifest_entry_outside_the_project_is_refused(tmp_path: Path, absolute: bool) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside.md"
    project.mkdir()
    outside.write_bytes(b"not yours\n")
    install(project, mini(), ("cursor",))
    add_manifest_entry(project, str(outside) if absolute else "../outside.md", b"not yours\n")
    before = snapshot(tmp_path)
    with pytest.raises(UnsafePathError, match=r"outside\.md: refusing a path outside the project"):
        plan_uninstall(project)
    with pytest.raises(UnsafePathError, match="outside the project"):
        plan_install(project, mini(), ("cursor",), Profile.FULL)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("relative", ["../x.md", "a/../../x.md", "/etc/passwd", "", "."])
def test_project_path_refuses_escapes(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePathError):
        fs.project_path(tmp_path, relative)


def test_symlinked_directory_leading_outside_is_refused(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("outside\n")
    (project / ".cursor").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)
    with pytest.raises(UnsafePathError, match=r"^\.cursor/rules/.*symlink that leads outside"):
        plan_install(project, mini(), ALL, Profile.FULL)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]


def test_symlinked_manifest_directory_leading_outside_is_refused(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / ".rulepack").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)
    with pytest.raises(UnsafePathError, match="symlink that leads outside"):
        install(project, mini(), ("cursor",))
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_symlinked_file_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "NOTES.md").write_text("mine\n")
    (tmp_path / "GEMINI.md").symlink_to("NOTES.md")
    with pytest.raises(UnsafePathError, match=r"GEMINI\.md: refusing to replace a symlink"):
        plan_install(tmp_path, mini(), ("gemini",), Profile.FULL)
    assert (tmp_path / "NOTES.md").read_text() == "mine\n"


def test_symlink_inside_the_project_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / ".cursor").symlink_to("real", target_is_directory=True)
    install(tmp_path, mini(), ("cursor",))
    assert (tmp_path / "real/rules/rulepack-web.mdc").exists()


# --- atomic writes --------------------------------------------------------------------------


def test_no_temporary_files_and_normal_permissions(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        write_tree(tmp_path, {"CLAUDE.md": b"mine\n"})
        (tmp_path / "CLAUDE.md").chmod(0o600)
        install(tmp_path, mini())
    finally:
        os.umask(old_umask)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "CLAUDE.md":
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((tmp_path / "CLAUDE.md").stat().st_mode) == 0o600


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "AGENTS.md"
    target.write_bytes(b"old\r\n")

    def refuse(self: Path, other: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new\n")
    assert target.read_bytes() == b"old\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AGENTS.md"]


# --- size limits ----------------------------------------------------------------------------


def test_fastapi_agents_md_stays_within_32_kib_and_says_so(tmp_path: Path, fastapi: Pack) -> None:
    plan = plan_install(tmp_path, fastapi, ("agents-md",), Profile.FULL)
    notes = plan.notices_for_changes()
    assert any(n.startswith("AGENTS.md: Codex CLI reads at most 32 KiB") for n in notes), notes
    apply_plan(plan)
    agents = (tmp_path / "AGENTS.md").read_bytes()
    assert len(agents) <= 32 * 1024
    begin, end = block_markers("fastapi", TARGETS_BY_ID["agents-md"].files[0].comment)
    assert find_block(agents.decode(), begin, end, "AGENTS.md") is not None


def test_fastapi_with_large_user_agents_md_is_refused(tmp_path: Path, fastapi: Pack) -> None:
    user_text = ("Hand-written project notes that are long. " * 20 + "\n") * 38
    assert 31 * 1024 <= len(user_text) < 32 * 1024
    (tmp_path / "AGENTS.md").write_text(user_text)
    before = snapshot(tmp_path)
    with pytest.raises(ExportError, match=r"^AGENTS\.md would be [\d,]+ bytes even as titles only"):
        plan_install(tmp_path, fastapi, ("agents-md",), Profile.FULL)
    assert snapshot(tmp_path) == before


def test_block_falls_back_when_user_text_leaves_too_little_room(tmp_path: Path) -> None:
    pack = mini()
    full = render_target(pack, TARGETS_BY_ID["agents-md"], Profile.FULL).files[0].text
    compact = render_target(pack, TARGETS_BY_ID["agents-md"], Profile.COMPACT).files[0].text
    # Room for the compact block (markers and separator take under 100 bytes), not the full one.
    room = 32 * 1024 - len(compact.encode()) - 150
    assert len(full.encode()) - len(compact.encode()) > 250
    (tmp_path / "AGENTS.md").write_text(("x" * 99 + "\n") * (room // 100))
    plan = plan_install(tmp_path, pack, ("agents-md",), Profile.FULL)
    assert [n.split(";")[0] for n in plan.notices_for_changes()] == [
        "AGENTS.md: Codex CLI reads at most 32 KiB (project_doc_max_bytes)"
    ]
    apply_plan(plan)
    text = (tmp_path / "AGENTS.md").read_text()
    assert len(text.encode()) <= 32 * 1024
    begin, end = block_markers("mini", TARGETS_BY_ID["agents-md"].files[0].comment)
    assert block_body(text, begin, end, "AGENTS.md") == compact
