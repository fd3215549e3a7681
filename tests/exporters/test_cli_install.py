"""The issue's "done when", through the command line: install, --check, --dry-run, uninstall."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rulepack.cli import main
from rulepack.exporters.install.manifest import MANIFEST_PATH, read_manifest
from rulepack.exporters.targets import target_ids
from tests.conftest import MINI_PACK
from tests.exporters.test_install import HAND_WRITTEN, snapshot, stamps, write_tree


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main([str(arg) for arg in args])
    captured = capsys.readouterr()
    code = exited.value.code if isinstance(exited.value.code, int) else 0
    return code, captured.out, captured.err


def install(
    capsys: pytest.CaptureFixture[str], project: Path, *args: str | Path
) -> tuple[int, str, str]:
    return run(capsys, "install", "--project", project, "--pack", MINI_PACK, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def hand_written(project: Path) -> Path:
    write_tree(project, HAND_WRITTEN)
    return project


# --- install --all, twice ----------------------------------------------------------------------


def test_install_all_into_an_empty_directory(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, out, err = install(capsys, project, "--all")
    assert code == 0, err
    manifest = read_manifest(project)
    assert manifest is not None
    assert set(manifest.targets) == set(target_ids())
    on_disk = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert on_disk == {entry.path for entry in manifest.files} | {MANIFEST_PATH}
    assert "created AGENTS.md" in out.splitlines()
    assert "created 2 files in .cursor/rules/" in out.splitlines()
    assert f"{len(manifest.targets)} target(s), {len(manifest.files)} file(s) changed" in err


def test_install_all_keeps_hand_written_files(
    capsys: pytest.CaptureFixture[str], hand_written: Path
) -> None:
    code, out, err = install(capsys, hand_written, "--all")
    assert code == 0, err
    for name in ("CLAUDE.md", "AGENTS.md"):
        assert (hand_written / name).read_bytes().startswith(HAND_WRITTEN[name])
    assert (hand_written / ".cursor/rules/mine.mdc").read_bytes() == HAND_WRITTEN[
        ".cursor/rules/mine.mdc"
    ]
    assert "updated CLAUDE.md" in out.splitlines()
    assert "updated AGENTS.md" in out.splitlines()
    assert "updated .aider.conf.yml" in out.splitlines()
    manifest = json.loads((hand_written / MANIFEST_PATH).read_text())
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    assert ".cursor/rules/mine.mdc" not in {entry["path"] for entry in manifest["files"]}


@pytest.mark.parametrize("with_user_files", [False, True])
def test_second_run_changes_nothing(
    capsys: pytest.CaptureFixture[str], project: Path, with_user_files: bool
) -> None:
    if with_user_files:
        write_tree(project, HAND_WRITTEN)
    assert install(capsys, project, "--all")[0] == 0
    before, times = snapshot(project), stamps(project)
    code, out, err = install(capsys, project, "--all")
    assert code == 0, err
    assert out == ""
    assert "0 file(s) changed" in err
    assert snapshot(project) == before
    assert stamps(project) == times
    # Without --target or --all, the installed targets are used.
    code, _, err = install(capsys, project)
    assert code == 0, err
    assert stamps(project) == times
    code, out, _ = install(capsys, project, "--check")
    assert code == 0
    assert out == f"up to date: {len(target_ids())} target(s)\n"


# --- --check --------------------------------------------------------------------------------


def check(
    capsys: pytest.CaptureFixture[str], project: Path, pack: Path = MINI_PACK
) -> tuple[int, str, str]:
    return run(capsys, "install", "--check", "--project", project, "--pack", pack)


def test_check_reports_an_edited_owned_file(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    install(capsys, project, "--all")
    path = project / ".github/instructions/rulepack-basics.instructions.md"
    path.write_text(path.read_text() + "\nmine\n")
    before = snapshot(project)
    code, out, err = check(capsys, project)
    assert code == 1
    assert out.splitlines() == [
        "changed: .github/instructions/rulepack-basics.instructions.md"
        " (edited by hand since rulepack wrote it)"
    ]
    assert "1 file(s) out of date" in err
    assert snapshot(project) == before


def test_check_reports_a_deleted_file(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    install(capsys, project, "--all")
    (project / ".windsurf/rules/rulepack-web.md").unlink()
    code, out, _ = check(capsys, project)
    assert code == 1
    assert out.splitlines() == ["missing: .windsurf/rules/rulepack-web.md"]
    assert not (project / ".windsurf/rules/rulepack-web.md").exists()


def test_check_reports_an_edited_block(
    capsys: pytest.CaptureFixture[str], hand_written: Path
) -> None:
    install(capsys, hand_written, "--all")
    path = hand_written / "CLAUDE.md"
    path.write_text(path.read_text().replace("## Web", "## Web, edited"))
    code, out, _ = check(capsys, hand_written)
    assert code == 1
    assert out.splitlines() == ["changed: CLAUDE.md"]


def test_check_reports_an_edited_merged_config(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    install(capsys, project, "--all")
    (project / "opencode.json").write_text('{"instructions": []}\n')
    code, out, _ = check(capsys, project)
    assert code == 1
    assert out.splitlines() == ["changed: opencode.json"]


def test_check_reports_stale_files_and_install_removes_them(
    capsys: pytest.CaptureFixture[str], project: Path, mini_pack: Path
) -> None:
    assert install(capsys, project, "--all", "--pack", mini_pack)[0] == 0
    web = sorted(p.relative_to(project).as_posix() for p in project.rglob("rulepack-web*"))
    assert len(web) >= 10
    pack_yaml = mini_pack / "pack.yaml"
    pack_yaml.write_text(
        pack_yaml.read_text().replace("sections: [basics, web]", "sections: [basics]")
    )
    (mini_pack / "web.yaml").unlink()
    code, out, _ = check(capsys, project, mini_pack)
    assert code == 1
    stale = sorted(
        line.removeprefix("stale: ") for line in out.splitlines() if line.startswith("stale: ")
    )
    assert stale == web
    code, out, err = install(capsys, project, "--pack", mini_pack)
    assert code == 0, err
    assert not any(project.rglob("rulepack-web*"))
    assert "removed" in out
    assert check(capsys, project, mini_pack)[0] == 0


# --- --dry-run ------------------------------------------------------------------------------


def test_dry_run_prints_a_diff_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], hand_written: Path
) -> None:
    before = snapshot(hand_written)
    code, out, err = install(capsys, hand_written, "--all", "--dry-run")
    assert code == 0, err
    assert snapshot(hand_written) == before
    assert "--- a/CLAUDE.md\n+++ b/CLAUDE.md\n" in out
    assert "--- /dev/null\n+++ b/GEMINI.md\n" in out
    assert "\n+<!-- rulepack:begin mini -->\n" in out
    assert "\n+  - CONVENTIONS.md\n" in out
    assert "file(s) would change" in err


def test_dry_run_after_install_is_empty(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    install(capsys, project, "--all")
    before, times = snapshot(project), stamps(project)
    code, out, err = install(capsys, project, "--all", "--dry-run")
    assert code == 0
    assert out == ""
    assert "0 file(s) would change" in err
    assert (snapshot(project), stamps(project)) == (before, times)


def test_uninstall_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], hand_written: Path
) -> None:
    install(capsys, hand_written, "--all")
    before = snapshot(hand_written)
    code, out, _ = run(capsys, "uninstall", "--project", hand_written, "--dry-run")
    assert code == 0
    assert "--- a/AGENTS.md\n+++ b/AGENTS.md\n" in out
    assert "--- a/.rulepack/system-prompt.md\n+++ /dev/null\n" in out
    assert snapshot(hand_written) == before


# --- uninstall ------------------------------------------------------------------------------


@pytest.mark.parametrize("with_user_files", [False, True])
def test_uninstall_restores_the_tree_exactly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path, with_user_files: bool
) -> None:
    if with_user_files:
        write_tree(project, HAND_WRITTEN)
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)
    assert install(capsys, project, "--all")[0] == 0
    code, out, err = run(capsys, "uninstall", "--project", project)
    assert code == 0, err
    assert ("updated AGENTS.md" if with_user_files else "removed AGENTS.md") in out.splitlines()
    assert snapshot(project) == snapshot(copy)
    assert not (project / ".rulepack").exists()
    code, _, err = run(capsys, "uninstall", "--project", project)
    assert code == 2
    assert "nothing installed here" in err


def test_uninstall_one_target(capsys: pytest.CaptureFixture[str], hand_written: Path) -> None:
    install(capsys, hand_written, "--all")
    code, _, err = run(capsys, "uninstall", "--project", hand_written, "--target", "claude,aider")
    assert code == 0, err
    assert (hand_written / "CLAUDE.md").read_bytes() == HAND_WRITTEN["CLAUDE.md"]
    assert (hand_written / ".aider.conf.yml").read_bytes() == HAND_WRITTEN[".aider.conf.yml"]
    assert not (hand_written / "CONVENTIONS.md").exists()
    assert (hand_written / ".cursor/rules/rulepack-web.mdc").exists()
    assert check(capsys, hand_written)[0] == 0


# --- conflicts ------------------------------------------------------------------------------


def test_foreign_file_at_an_owned_path_is_refused_then_forced(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    write_tree(project, {".roo/rules/rulepack-web.md": b"my own roo rules\n"})
    before = snapshot(project)
    code, _, err = install(capsys, project, "--all")
    assert code == 1
    assert err.splitlines()[0] == (
        "error: .roo/rules/rulepack-web.md: exists and was not written by rulepack"
    )
    assert "--force" in err
    assert snapshot(project) == before
    code, _, err = install(capsys, project, "--all", "--force")
    assert code == 0, err
    assert "Generated by rulepack" in (project / ".roo/rules/rulepack-web.md").read_text()


def test_owned_file_edited_by_hand_is_refused(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    install(capsys, project, "--all")
    edited = project / ".continue/rules/rulepack-basics.md"
    edited.write_text("rewritten by me\n")
    before = snapshot(project)
    code, _, err = install(capsys, project, "--all")
    assert code == 1
    assert ".continue/rules/rulepack-basics.md: edited by hand" in err
    assert snapshot(project) == before
    code, _, err = run(capsys, "uninstall", "--project", project)
    assert code == 1
    assert ".continue/rules/rulepack-basics.md: edited by hand" in err
    assert snapshot(project) == before
    code, _, err = run(capsys, "uninstall", "--project", project, "--force")
    assert code == 0, err
    assert list(project.iterdir()) == []


# --- refused paths --------------------------------------------------------------------------


@pytest.mark.parametrize("absolute", [False, True])
def test_manifest_path_outside_the_project_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path, absolute: bool
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("not yours\n")
    install(capsys, project, "--target", "cursor")
    manifest_file = project / MANIFEST_PATH
    data = json.loads(manifest_file.read_text())
    entry = dict(data["files"][0])
    entry["path"] = str(outside) if absolute else "../outside.md"
    data["files"].append(entry)
    manifest_file.write_text(json.dumps(data))
    before = snapshot(tmp_path)
    for command in (
        ["uninstall", "--project", project],
        ["install", "--project", project, "--pack", MINI_PACK],
    ):
        code, _, err = run(capsys, *command)
        assert code == 2
        assert "refusing a path outside the project" in err
        assert "outside.md" in err
        assert snapshot(tmp_path) == before


def test_symlink_to_outside_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, project: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / ".cursor").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)
    code, out, err = install(capsys, project, "--all")
    assert code == 2
    assert out == ""
    assert "refusing to write through a symlink that leads outside the project" in err
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


# --- size limits ----------------------------------------------------------------------------


def test_builtin_pack_agents_md_falls_back_with_a_notice(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, _, err = run(capsys, "install", "--project", project, "--target", "agents-md")
    assert code == 0, err
    assert "note: AGENTS.md: Codex CLI reads at most 32 KiB" in err
    assert len((project / "AGENTS.md").read_bytes()) <= 32 * 1024


def test_builtin_pack_with_large_user_agents_md_is_an_error(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "AGENTS.md").write_text("Notes written by the team.\n" * 1200)
    before = snapshot(project)
    code, _, err = run(capsys, "install", "--project", project, "--target", "agents-md")
    assert code == 2
    assert err.startswith("error: AGENTS.md would be ")
    assert "Shorten the text outside the rulepack block" in err
    assert snapshot(project) == before


def test_resync_without_pack_uses_the_pack_recorded_at_install(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, _, _ = run(capsys, "install", "--project", project, "--pack", MINI_PACK, "-t", "cursor")
    assert code == 0
    manifest = read_manifest(project)
    assert manifest is not None
    assert manifest.pack_source == str(MINI_PACK)
    code, out, _ = run(capsys, "install", "--project", project, "--check")
    assert (code, out) == (0, "up to date: 1 target(s)\n")
