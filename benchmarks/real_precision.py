"""Precision of rulepack's checks on real projects, from hand verdicts kept in the repository.

``benchmarks/precision/repos.toml`` pins public FastAPI repositories by commit.
``benchmarks/precision/verdicts/*.csv`` holds hand verdicts on findings, one row each:
``repo, commit, path, line, check, verdict, reason`` (``verdict`` is ``true`` or ``false``; ``path``
is relative to the repository root). They are facts about those repositories, not their code:
no fetched code is committed.

Given local checkouts, the script evaluates each repository with the current rulepack, matches
findings to verdicts by (repository, path, line, check), and prints precision per check and
overall: of scored findings (the figure the targets apply to) and, apart, of advisory ones (a
heuristic that cannot prove the violation: shown at info, not scored). It then lists every
verdict that needs reading again: read findings that are no longer
reported (a fixed false positive, or a lost true one) and, with ``--unread N``, up to N findings per
check that no one has read yet (chosen by a stable hash, so reruns offer the same ones)::

    python benchmarks/real_precision.py --checkouts /path/to/checkouts [--repo NAME]
        [--check ID ...] [--unread 5] [--json results.json]

A checkout of ``owner/name`` is looked up as ``CHECKOUTS/owner+name`` or ``CHECKOUTS/name``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rulepack.toml import toml_reader

HERE = Path(__file__).resolve().parent / "precision"
REPOS_FILE = HERE / "repos.toml"
VERDICTS_DIR = HERE / "verdicts"
FIELDS = ("repo", "commit", "path", "line", "check", "verdict", "reason")
EXTRA_CODES = frozenset({"S105", "S106"})  # tool codes whose findings are read like checks
EVAL_TIMEOUT = 3600.0
USAGE_ERROR = 2


class HarnessError(Exception):
    """A checkout, a verdict file or an evaluation that makes the measurement meaningless."""


@dataclass(frozen=True)
class Repo:
    """A public repository pinned by commit, and the directory of it that is evaluated."""

    name: str
    commit: str
    target: str
    lines: int


@dataclass(frozen=True, order=True)
class Key:
    """Where a finding is: enough to match it with a verdict."""

    repo: str
    path: str
    line: int
    check: str


@dataclass(frozen=True)
class Verdict:
    """A hand verdict on one finding."""

    key: Key
    commit: str
    true: bool
    reason: str


@dataclass(frozen=True)
class Reported:
    """A finding the current rulepack reports."""

    key: Key
    message: str
    advisory: bool


def load_repos(path: Path = REPOS_FILE) -> list[Repo]:
    """The pinned repositories."""
    data = toml_reader.loads(path.read_text(encoding="utf-8"))
    return [
        Repo(str(r["name"]), str(r["commit"]), str(r.get("target", ".")), int(r.get("lines", 0)))
        for r in data.get("repo", [])
    ]


def load_verdicts(directory: Path = VERDICTS_DIR) -> dict[Key, Verdict]:
    """Every verdict of every CSV file in ``directory``; a key read twice must agree."""
    verdicts: dict[Key, Verdict] = {}
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                verdict = _verdict(row, f"{path.name}:{number}")
                known = verdicts.get(verdict.key)
                if known is not None and known.true != verdict.true:
                    raise HarnessError(f"{path.name}:{number}: contradicts an earlier verdict")
                verdicts[verdict.key] = verdict
    return verdicts


def _verdict(row: Mapping[str, str | None], where: str) -> Verdict:
    missing = [name for name in FIELDS if not (row.get(name) or "").strip()]
    if missing:
        raise HarnessError(f"{where}: missing {', '.join(missing)}")
    value = str(row["verdict"]).strip().lower()
    if value not in {"true", "false"}:
        raise HarnessError(f"{where}: verdict must be true or false, not {value!r}")
    try:
        line = int(str(row["line"]))
    except ValueError:
        raise HarnessError(f"{where}: line is not a number") from None
    key = Key(str(row["repo"]).strip(), str(row["path"]).strip(), line, str(row["check"]).strip())
    return Verdict(key, str(row["commit"]).strip(), value == "true", str(row["reason"]).strip())


def checkout_of(repo: Repo, checkouts: Path) -> Path:
    """The local checkout of ``repo`` under ``checkouts``."""
    owner, _, name = repo.name.partition("/")
    for candidate in (checkouts / f"{owner}+{name}", checkouts / name):
        if candidate.is_dir():
            return candidate
    raise HarnessError(f"{repo.name}: no checkout at {checkouts}/{owner}+{name} or {name}")


def evaluate(repo: Repo, checkout: Path, select: Sequence[str]) -> list[Reported]:
    """Run ``rulepack eval`` (no mypy, no cache) on the repository's target directory."""
    with tempfile.TemporaryDirectory(prefix="rulepack-precision-") as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "rulepack", "eval", str(checkout / repo.target),
            "--no-mypy", "--no-cache", "--format", "json", "--output", str(report),
        ]  # fmt: skip
        if select:
            command += ["--select", ",".join(select)]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=EVAL_TIMEOUT, check=False
        )
        if completed.returncode not in (0, 1) or not report.is_file():
            detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise HarnessError(
                f"{repo.name}: rulepack eval exited {completed.returncode}: {detail}"
            )
        data = json.loads(report.read_text(encoding="utf-8"))
    return list(_reported(repo, checkout, data))


def _reported(repo: Repo, checkout: Path, report: Mapping[str, object]) -> Iterable[Reported]:
    base = checkout.resolve()
    samples = report.get("samples")
    for sample in samples if isinstance(samples, list) else []:
        root = Path(str(sample["root"]))
        for finding in sample["findings"]:
            path = (root / str(finding["path"])).resolve()
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                relative = path.as_posix()
            for code in _read_codes(finding):
                yield Reported(
                    Key(repo.name, relative, int(finding["line"]), code),
                    str(finding["message"]),
                    bool(finding.get("advisory", False)),
                )


def _read_codes(finding: Mapping[str, object]) -> list[str]:
    """The check ids and read tool codes a (possibly merged) finding carries."""
    sources = finding.get("sources")
    parts = sources if isinstance(sources, list) and sources else [finding]
    codes = [
        str(part["code"])
        for part in parts
        if isinstance(part, Mapping)
        and (part.get("tool") == "custom" or str(part.get("code")) in EXTRA_CODES)
    ]
    return list(dict.fromkeys(codes))


@dataclass(frozen=True)
class Tally:
    """Findings reported, read and found true."""

    reported: int = 0
    read: int = 0
    true: int = 0

    @property
    def precision(self) -> float | None:
        """True findings over read findings (``None`` when none was read)."""
        return self.true / self.read if self.read else None

    def __add__(self, other: Tally) -> Tally:
        """The sum of two tallies."""
        return Tally(self.reported + other.reported, self.read + other.read, self.true + other.true)


@dataclass(frozen=True)
class CheckPrecision:
    """One check's figures: scored findings, and advisory ones (shown at info, not scored)."""

    check: str
    scored: Tally
    advisory: Tally


def precision_table(
    reported: Sequence[Reported], verdicts: Mapping[Key, Verdict]
) -> list[CheckPrecision]:
    """Per check: findings reported now, how many of them were read, how many were true."""
    tallies: dict[tuple[str, bool], Tally] = {}
    for item in reported:
        verdict = verdicts.get(item.key)
        one = Tally(1, verdict is not None, verdict is not None and verdict.true)
        key = (item.key.check, item.advisory)
        tallies[key] = tallies.get(key, Tally()) + one
    checks = sorted({check for check, _ in tallies})
    return [
        CheckPrecision(
            check, tallies.get((check, False), Tally()), tallies.get((check, True), Tally())
        )
        for check in checks
    ]


def unread_sample(
    reported: Sequence[Reported], verdicts: Mapping[Key, Verdict], per_check: int
) -> list[Reported]:
    """Up to ``per_check`` unread findings per check, in a stable pseudo-random order."""
    chosen: list[Reported] = []
    taken: Counter[str] = Counter()
    for item in sorted(reported, key=lambda r: _stable_hash(r.key)):
        if item.key not in verdicts and taken[item.key.check] < per_check:
            taken[item.key.check] += 1
            chosen.append(item)
    return sorted(chosen, key=lambda r: r.key)


def _stable_hash(key: Key) -> str:
    return hashlib.sha256(f"{key.repo}|{key.path}|{key.line}|{key.check}".encode()).hexdigest()


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _ratio(tally: Tally) -> str:
    return f"{tally.precision:.3f}" if tally.precision is not None else "-"


def _print_table(rows: Sequence[CheckPrecision]) -> None:
    _out("scored findings (the precision target applies to these); advisory ones apart")
    _out(
        f"{'check':34} {'reported':>8} {'read':>5} {'true':>5} {'false':>5} {'precision':>9}"
        f"  {'advisory rep/read/true':>22}"
    )
    for row in rows:
        scored, advisory = row.scored, row.advisory
        flag = " <" if scored.read >= 5 and (scored.precision or 0) < 0.85 else "  "
        extra = f"{advisory.reported}/{advisory.read}/{advisory.true}" if advisory.reported else ""
        _out(
            f"{row.check:34} {scored.reported:>8} {scored.read:>5} {scored.true:>5}"
            f" {scored.read - scored.true:>5} {_ratio(scored):>9}{flag}{extra:>22}"
        )
    scored_total = sum((row.scored for row in rows), Tally())
    advisory_total = sum((row.advisory for row in rows), Tally())
    everything = scored_total + advisory_total
    for label, tally in (
        ("overall (scored)", scored_total),
        ("advisory", advisory_total),
        ("all findings", everything),
    ):
        _out(
            f"{label:34} {tally.reported:>8} {tally.read:>5} {tally.true:>5}"
            f" {tally.read - tally.true:>5} {_ratio(tally):>9}"
        )


def _print_changes(
    reported: Sequence[Reported], verdicts: Mapping[Key, Verdict], repos: Sequence[str]
) -> None:
    now = {item.key for item in reported}
    gone = [v for key, v in sorted(verdicts.items()) if key.repo in repos and key not in now]
    fixed = [v for v in gone if not v.true]
    lost = [v for v in gone if v.true]
    _out(f"\nread findings no longer reported: {len(fixed)} false (fixed), {len(lost)} true (lost)")
    for verdict in lost:
        k = verdict.key
        _out(f"  lost  {k.repo} {k.path}:{k.line} {k.check}  ({verdict.reason})")


def _print_unread(items: Sequence[Reported], commits: Mapping[str, str]) -> None:
    _out(f"\nunread findings to read ({len(items)}), as verdict rows to complete:")
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for item in items:
        k = item.key
        _out(f"# {k.check}{' (advisory)' if item.advisory else ''}: {item.message}")
        writer.writerow([k.repo, commits[k.repo], k.path, k.line, k.check, "?", ""])


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checkouts", type=Path, required=True, help="directory of checkouts")
    parser.add_argument("--repo", action="append", default=[], help="only this repository")
    parser.add_argument("--check", action="append", default=[], help="only this check id")
    parser.add_argument("--select", default="", help="rule ids/prefixes passed to rulepack eval")
    parser.add_argument("--unread", type=int, default=0, help="list N unread findings per check")
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness; 0 on a finished measurement, 2 on bad input."""
    args = _arguments(argv)
    try:
        repos = [r for r in load_repos() if not args.repo or r.name in args.repo]
        verdicts = load_verdicts()
        reported: list[Reported] = []
        select = [part for part in args.select.split(",") if part]
        for repo in repos:
            reported += evaluate(repo, checkout_of(repo, args.checkouts), select)
    except HarnessError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return USAGE_ERROR
    if args.check:
        reported = [item for item in reported if item.key.check in args.check]
    rows = precision_table(reported, verdicts)
    _print_table(rows)
    _print_changes(
        reported,
        {k: v for k, v in verdicts.items() if not args.check or k.check in args.check},
        [r.name for r in repos],
    )
    if args.unread:
        _print_unread(
            unread_sample(reported, verdicts, args.unread), {r.name: r.commit for r in repos}
        )
    if args.json:
        figures = [
            {"check": row.check, "scored": asdict(row.scored), "advisory": asdict(row.advisory)}
            for row in rows
        ]
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
