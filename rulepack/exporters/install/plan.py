"""Plan an install or uninstall: current bytes in, file changes and the next manifest out.

Planning is pure apart from reading files, so ``--dry-run`` and ``--check`` show exactly what
``install`` would do. :func:`apply_plan` then writes each change atomically and the manifest last.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from rulepack import __version__
from rulepack.errors import RulepackError
from rulepack.exporters.install.blocks import find_block, remove_block, upsert_block
from rulepack.exporters.install.fs import (
    UnsafePathError,
    atomic_write,
    project_path,
    read_text,
    remove_empty_parents,
    remove_file,
)
from rulepack.exporters.install.manifest import (
    MANIFEST_PATH,
    Manifest,
    ManifestEntry,
    read_manifest,
    sha256,
    write_manifest,
)
from rulepack.exporters.install.merge import merge, unmerge, yaml_markers
from rulepack.exporters.render import (
    GENERATED_MARK,
    ExportError,
    RenderedFile,
    block_markers,
    fits,
    render_target,
)
from rulepack.exporters.targets import (
    TARGETS,
    TARGETS_BY_ID,
    CommentStyle,
    MergeSpec,
    WriteMode,
)
from rulepack.exporters.views import Profile
from rulepack.rules.model import Pack


@dataclass(frozen=True)
class Conflict:
    """A file rulepack would have to overwrite although it holds text rulepack did not write."""

    path: str
    reason: str

    def __str__(self) -> str:
        """``path: reason``."""
        return f"{self.path}: {self.reason}"


class InstallConflictError(RulepackError):
    """rulepack would overwrite text it did not write; nothing was changed."""

    exit_code = 1

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        """Keep every conflict so the user sees them all at once."""
        self.conflicts = tuple(conflicts)
        super().__init__(str(self.conflicts[0]))

    def lines(self) -> list[str]:
        """One line per conflict, then how to proceed."""
        return [
            *(str(conflict) for conflict in self.conflicts),
            "nothing was written; move those files aside or rerun with --force to replace them",
        ]


class Action(str, Enum):
    """What happens to a file."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class FileChange:
    """One file to create, rewrite or delete."""

    path: str
    action: Action
    before: str | None
    after: str | None

    def diff(self) -> str:
        """A unified diff of the change."""
        before = (self.before or "").splitlines(keepends=True)
        after = (self.after or "").splitlines(keepends=True)
        lines = difflib.unified_diff(
            before,
            after,
            fromfile="/dev/null" if self.before is None else f"a/{self.path}",
            tofile="/dev/null" if self.after is None else f"b/{self.path}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class Notice:
    """Something the user should know about a file, such as a fallback to a smaller profile."""

    path: str
    message: str


@dataclass(frozen=True)
class Plan:
    """Everything an install or uninstall would change in a project."""

    project: Path
    changes: tuple[FileChange, ...]
    manifest_before: Manifest | None
    manifest_after: Manifest | None
    notices: tuple[Notice, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def notices_for_changes(self) -> list[str]:
        """The notices about files this plan changes (unchanged files were reported before)."""
        changed = {change.path for change in self.changes}
        return [notice.message for notice in self.notices if notice.path in changed]

    def summary(self) -> list[str]:
        """One line per changed shared file, one line per directory of changed owned files."""
        words = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "removed"}
        owned = {
            entry.path
            for manifest in (self.manifest_before, self.manifest_after)
            if manifest is not None
            for entry in manifest.files
            if entry.mode is WriteMode.OWNED
        }
        groups: dict[tuple[str, str], int] = {}
        lines: list[str] = []
        for change in self.changes:
            if change.path in owned:
                key = (words[change.action], change.path.rsplit("/", 1)[0] + "/")
                groups[key] = groups.get(key, 0) + 1
            else:
                lines.append(f"{words[change.action]} {change.path}")
        lines.extend(
            f"{verb} {count} file{'s' if count > 1 else ''} in {directory}"
            for (verb, directory), count in groups.items()
        )
        return lines

    @property
    def manifest_changes(self) -> bool:
        """Whether the manifest itself would change."""
        return self.manifest_before != self.manifest_after

    @property
    def is_noop(self) -> bool:
        """Whether applying the plan would write nothing."""
        return not self.changes and not self.manifest_changes and not self.conflicts

    def drift(self) -> list[str]:
        """Describe each difference between the project and the pack (for ``--check``)."""
        words = {Action.CREATE: "missing", Action.UPDATE: "changed", Action.DELETE: "stale"}
        reasons = {conflict.path: conflict.reason for conflict in self.conflicts}
        lines = [
            f"{words[change.action]}: {change.path}"
            + (f" ({reasons[change.path]})" if change.path in reasons else "")
            for change in self.changes
        ]
        changed = {change.path for change in self.changes}
        lines.extend(f"changed: {c}" for c in self.conflicts if c.path not in changed)
        if not lines and self.manifest_changes:
            lines.append(f"changed: {MANIFEST_PATH}")
        return lines


@dataclass
class _Planner:
    """Collects changes and manifest entries while a plan is built."""

    project: Path
    force: bool
    before: Manifest | None
    changes: list[FileChange] = field(default_factory=list)
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def current(self, path: str) -> str | None:
        absolute = project_path(self.project, path)
        if absolute.is_symlink():
            raise UnsafePathError(f"{path}: refusing to replace a symlink")
        return read_text(absolute)

    def previous(self, path: str) -> ManifestEntry | None:
        return self.before.entry(path) if self.before is not None else None

    def change(self, path: str, before: str | None, after: str | None) -> None:
        if before == after:
            return
        if after is None:
            action = Action.DELETE
        elif before is None:
            action = Action.CREATE
        else:
            action = Action.UPDATE
        self.changes.append(FileChange(path, action, before, after))

    def new_directories(self) -> set[str]:
        """The directories that writing the planned files (and the manifest) would create."""
        paths = [change.path for change in self.changes if change.action is Action.CREATE]
        if self.before is None:
            paths.append(MANIFEST_PATH)
        created: set[str] = set()
        for path in paths:
            for parent in PurePosixPath(path).parents:
                if parent.parts and not (self.project / parent).is_dir():
                    created.add(parent.as_posix())
        return created


def _render_all(
    pack: Pack, target_ids: Sequence[str], profile: Profile
) -> tuple[list[RenderedFile], list[tuple[str, MergeSpec]]]:
    files: list[RenderedFile] = []
    merges: list[tuple[str, MergeSpec]] = []
    for target_id in target_ids:
        result = render_target(pack, TARGETS_BY_ID[target_id], profile)
        files.extend(result.files)
        merges.extend((target_id, spec) for spec in result.merges)
    return files, merges


def _grouped(files: Iterable[RenderedFile]) -> dict[str, tuple[RenderedFile, tuple[str, ...]]]:
    """One rendered file per path, with every target that writes it; targets must agree."""
    by_path: dict[str, tuple[RenderedFile, tuple[str, ...]]] = {}
    for rendered in files:
        if rendered.path in by_path:
            first, targets = by_path[rendered.path]
            if first.text != rendered.text or first.mode is not rendered.mode:
                message = f"{rendered.path}: targets {targets[0]} and {rendered.target} disagree"
                raise ExportError(message)
            by_path[rendered.path] = (first, (*targets, rendered.target))
        else:
            by_path[rendered.path] = (rendered, (rendered.target,))
    return by_path


def _plan_owned(planner: _Planner, rendered: RenderedFile, targets: tuple[str, ...]) -> None:
    path = rendered.path
    current = planner.current(path)
    entry = planner.previous(path)
    if current is not None and current != rendered.text and not planner.force:
        if entry is None and GENERATED_MARK not in current:
            planner.conflicts.append(Conflict(path, "exists and was not written by rulepack"))
        elif entry is not None and sha256(current) != entry.sha256:
            planner.conflicts.append(Conflict(path, "edited by hand since rulepack wrote it"))
    created = entry.created if entry is not None else current is None
    planner.entries[path] = ManifestEntry(
        path=path,
        mode=WriteMode.OWNED,
        targets=targets,
        sha256=sha256(rendered.text),
        created=created,
    )
    planner.change(path, current, rendered.text)


def _plan_block(
    planner: _Planner,
    pack: Pack,
    rendered: RenderedFile,
    targets: tuple[str, ...],
    smaller: Callable[[str, Profile], RenderedFile],
) -> None:
    path = rendered.path
    current = planner.current(path)
    entry = planner.previous(path)
    begin, end = block_markers(pack.id, rendered.spec.comment)
    had_block = current is not None and find_block(current, begin, end, path) is not None
    first = result = upsert_block(current or "", rendered.text, begin, end, path)
    chosen = rendered
    while not fits(result.text, chosen.spec):
        fallback = chosen.profile.smaller
        if fallback is None:
            raise ExportError(
                f"{path} would be {len(result.text.encode('utf-8')):,} bytes even as titles only;"
                f" {chosen.spec.limit_note}. Shorten the text outside the rulepack block."
            )
        chosen = smaller(path, fallback)
        result = upsert_block(current or "", chosen.text, begin, end, path)
    if chosen is not rendered:
        message = (
            f"{path}: {chosen.spec.limit_note}; the {rendered.profile.value} profile makes"
            f" {len(first.text.encode('utf-8')):,} bytes, so its block was written"
            f" {chosen.profile.value} ({len(result.text.encode('utf-8')):,} bytes)"
        )
        planner.notices.append(Notice(path, message))
    separator = entry.separator if entry is not None and had_block else result.separator
    planner.entries[path] = ManifestEntry(
        path=path,
        mode=WriteMode.BLOCK,
        targets=targets,
        sha256=sha256(chosen.text),
        created=entry.created if entry is not None else current is None,
        separator=separator,
    )
    planner.change(path, current, result.text)


def _plan_merge(planner: _Planner, pack: Pack, spec: MergeSpec, targets: tuple[str, ...]) -> None:
    current = planner.current(spec.path)
    entry = planner.previous(spec.path)
    result = merge(current, spec, pack.id)
    digest = sha256(result.text)
    begin, end = yaml_markers(pack.id)
    had_block = (
        spec.format == "yaml"
        and current is not None
        and find_block(current, begin, end, spec.path) is not None
    )
    if entry is not None and had_block:
        # The block was rewritten in place: the separator added before it the first time stays.
        original, added, separator = None, result.added, entry.separator
    elif entry is not None and not result.added:
        # Nothing to add. Keep the hash of the text rulepack wrote, so that uninstall notices
        # edits made since and takes out only rulepack's values instead of restoring `original`.
        original, added, separator = entry.original, entry.entries, entry.separator
        digest = entry.sha256
    else:
        original = current if result.edited_user_key else None
        added, separator = result.added, result.separator
    planner.entries[spec.path] = ManifestEntry(
        path=spec.path,
        mode=WriteMode.MERGE,
        targets=targets,
        sha256=digest,
        created=entry.created if entry is not None else current is None,
        separator=separator,
        original=original,
        entries=added,
    )
    planner.change(spec.path, current, result.text)


def _merge_spec(path: str) -> MergeSpec:
    for target in TARGETS:
        for spec in target.merges:
            if spec.path == path:
                return spec
    raise RulepackError(f"{MANIFEST_PATH}: no target merges into {path}")


def _removal(planner: _Planner, entry: ManifestEntry, pack_id: str) -> None:
    """Plan taking out what ``entry`` records, leaving every user byte in place."""
    current = planner.current(entry.path)
    if current is None:
        return
    after: str | None
    if entry.mode is WriteMode.OWNED:
        if sha256(current) != entry.sha256 and not planner.force:
            planner.conflicts.append(Conflict(entry.path, "edited by hand since rulepack wrote it"))
            return
        after = None
    else:
        after = _without_rulepack(current, entry, pack_id)
        if entry.created and not after.strip():
            after = None
    planner.change(entry.path, current, after)


def _without_rulepack(current: str, entry: ManifestEntry, pack_id: str) -> str:
    for begin, end in (block_markers(pack_id, c) for c in (CommentStyle.HTML, CommentStyle.HASH)):
        if find_block(current, begin, end, entry.path) is not None:
            return remove_block(current, begin, end, entry.separator, entry.path)
    if entry.mode is not WriteMode.MERGE or (not entry.entries and not entry.created):
        return current  # rulepack added nothing here: the user's file already listed its values
    if sha256(current) == entry.sha256:
        return entry.original if entry.original is not None else ""
    return unmerge(current, _merge_spec(entry.path), entry.entries)


def plan_install(
    project: Path,
    pack: Pack,
    target_ids: Sequence[str],
    profile: Profile,
    *,
    force: bool = False,
    pack_source: str | None = None,
) -> Plan:
    """Plan writing ``target_ids`` for ``pack`` into ``project``.

    ``pack_source`` (the ``--pack`` value the pack was loaded from) is recorded in the manifest,
    so that a later ``rulepack install`` without ``--pack`` re-syncs from the same pack.

    Raises:
        ExportError: if a target cannot be rendered within its limits.
        UnsafePathError: if a path would leave the project.
    """
    before = read_manifest(project)
    planner = _Planner(project=project, force=force, before=before)
    files, merges = _render_all(pack, target_ids, profile)
    renders: dict[Profile, dict[str, RenderedFile]] = {}

    def smaller(path: str, fallback: Profile) -> RenderedFile:
        if fallback not in renders:
            rendered_files, _ = _render_all(pack, target_ids, fallback)
            renders[fallback] = {f.path: f for f in rendered_files}
        return renders[fallback][path]

    for rendered, targets in _grouped(files).values():
        if rendered.note:  # the renderer fell back to a smaller profile (owned or block file)
            planner.notices.append(Notice(rendered.path, rendered.note))
        if rendered.mode is WriteMode.OWNED:
            _plan_owned(planner, rendered, targets)
        else:
            _plan_block(planner, pack, rendered, targets, smaller)
    for target_id, spec in merges:
        _plan_merge(planner, pack, spec, (target_id,))
    _plan_stale(planner, pack.id, set(target_ids))
    manifest = Manifest(
        rulepack_version=__version__,
        pack=pack.id,
        pack_version=pack.version,
        pack_source=pack_source
        if pack_source is not None
        else (before.pack_source if before else None),
        profile=profile.value,
        targets=tuple(sorted({*(before.targets if before else ()), *target_ids})),
        files=tuple(sorted(planner.entries.values(), key=lambda entry: entry.path)),
        directories=tuple(
            sorted({*(before.directories if before else ()), *planner.new_directories()})
        ),
    )
    return Plan(
        project=project,
        changes=tuple(planner.changes),
        manifest_before=before,
        manifest_after=manifest,
        notices=tuple(planner.notices),
        conflicts=tuple(planner.conflicts),
    )


def _plan_stale(planner: _Planner, pack_id: str, selected: set[str]) -> None:
    """Keep entries of other targets; remove files of selected targets that are no longer made."""
    if planner.before is None:
        return
    for entry in planner.before.files:
        if entry.path in planner.entries:
            continue
        others = tuple(target for target in entry.targets if target not in selected)
        if others:
            planner.entries[entry.path] = entry.model_copy(update={"targets": others})
        else:
            _removal(planner, entry, pack_id)


def plan_uninstall(
    project: Path, target_ids: Sequence[str] | None = None, *, force: bool = False
) -> Plan:
    """Plan removing what rulepack installed (for ``target_ids``, or everything).

    Raises:
        RulepackError: if the project has no manifest.
    """
    before = read_manifest(project)
    if before is None:
        raise RulepackError(f"{project / MANIFEST_PATH}: nothing installed here (no manifest)")
    selected = set(target_ids) if target_ids else set(before.targets)
    planner = _Planner(project=project, force=force, before=before)
    _plan_stale(planner, before.pack, selected)
    remaining = tuple(target for target in before.targets if target not in selected)
    manifest = (
        before.model_copy(
            update={
                "targets": remaining,
                "files": tuple(sorted(planner.entries.values(), key=lambda e: e.path)),
            }
        )
        if remaining and planner.entries
        else None
    )
    return Plan(
        project=project,
        changes=tuple(planner.changes),
        manifest_before=before,
        manifest_after=manifest,
        conflicts=tuple(planner.conflicts),
    )


def apply_plan(plan: Plan, *, manifest: bool = True) -> int:
    """Write a plan's changes atomically, then the manifest; return how many files changed.

    Raises:
        InstallConflictError: if the plan would overwrite text rulepack did not write.
    """
    if plan.conflicts:
        raise InstallConflictError(plan.conflicts)
    created = plan.manifest_before.directories if plan.manifest_before is not None else ()
    for change in plan.changes:
        absolute = project_path(plan.project, change.path)
        if change.after is None:
            remove_file(absolute)
            remove_empty_parents(absolute, plan.project, created)
        else:
            atomic_write(absolute, change.after)
    if manifest and plan.manifest_changes:
        if plan.manifest_after is None:
            manifest_file = project_path(plan.project, MANIFEST_PATH)
            remove_file(manifest_file)
            remove_empty_parents(manifest_file, plan.project, created)
        else:
            write_manifest(plan.project, plan.manifest_after)
    return len(plan.changes)
