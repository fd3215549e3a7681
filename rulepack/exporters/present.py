"""The ``rulepack targets`` listing, as a rich table or JSON."""

from __future__ import annotations

import json

from rich.table import Table

from rulepack.exporters.targets import TARGETS, Target, WriteMode

OWNERSHIP = {WriteMode.OWNED: "owned", WriteMode.BLOCK: "shared", WriteMode.MERGE: "shared"}


def _files(target: Target) -> list[tuple[str, str]]:
    files = [(spec.path, OWNERSHIP[spec.mode]) for spec in target.files]
    files.extend((merge.path, "shared") for merge in target.merges)
    return files


def targets_table() -> Table:
    """One row per target, with its files and whether rulepack owns each."""
    table = Table(title=f"{len(TARGETS)} targets (owned: written whole; shared: a marked block)")
    table.add_column("ID", style="bold", no_wrap=True)
    table.add_column("Name")
    table.add_column("Files")
    table.add_column("--all", no_wrap=True)
    for target in TARGETS:
        files = "\n".join(f"{path} ({ownership})" for path, ownership in _files(target))
        table.add_row(target.id, target.name, files, "yes" if target.in_all else "no")
    return table


def targets_json() -> str:
    """The registry as JSON: id, name, files with ownership, limits and the docs checked."""
    document = [
        {
            "id": target.id,
            "name": target.name,
            "in_all": target.in_all,
            "files": [
                {
                    "path": spec.path,
                    "ownership": OWNERSHIP[spec.mode],
                    "char_limit": spec.char_limit,
                    "byte_limit": spec.byte_limit,
                }
                for spec in target.files
            ]
            + [{"path": m.path, "ownership": "shared", "merges": m.key} for m in target.merges],
            "readers": list(target.readers),
            "checked": target.checked,
            "notes": target.notes,
        }
        for target in TARGETS
    ]
    return json.dumps(document, indent=2)
