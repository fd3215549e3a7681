"""The precision harness's verdict files, matching and sampling (no repository is evaluated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.real_precision import (
    FIELDS,
    HarnessError,
    Key,
    Reported,
    Tally,
    Verdict,
    _read_codes,
    load_repos,
    load_verdicts,
    precision_table,
    unread_sample,
)


def write_csv(path: Path, *rows: str) -> None:
    path.write_text(",".join(FIELDS) + "\n" + "".join(row + "\n" for row in rows))


def test_verdicts_load_and_conflicts_are_refused(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", 'o/r,abc,app/x.py,3,some-check,true,"a real one, really"')
    loaded = load_verdicts(tmp_path)
    assert loaded[Key("o/r", "app/x.py", 3, "some-check")].reason == "a real one, really"
    write_csv(tmp_path / "b.csv", "o/r,abc,app/x.py,3,some-check,false,not so")
    with pytest.raises(HarnessError, match=r"b.csv:2: contradicts"):
        load_verdicts(tmp_path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("o/r,abc,app/x.py,3,c,maybe,r", "verdict must be true or false"),
        ("o/r,abc,app/x.py,three,c,true,r", "line is not a number"),
        ("o/r,abc,app/x.py,3,c,true,", "missing reason"),
    ],
)
def test_bad_verdict_rows_name_the_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    write_csv(tmp_path / "v.csv", row)
    with pytest.raises(HarnessError, match=rf"v.csv:2: {message}"):
        load_verdicts(tmp_path)


def reported(path: str, line: int, check: str = "c") -> Reported:
    return Reported(Key("o/r", path, line, check), "m", advisory=False)


def test_precision_counts_only_read_findings_still_reported() -> None:
    verdicts = {
        Key("o/r", "a.py", 1, "c"): Verdict(Key("o/r", "a.py", 1, "c"), "x", True, "r"),
        Key("o/r", "a.py", 2, "c"): Verdict(Key("o/r", "a.py", 2, "c"), "x", False, "r"),
        Key("o/r", "a.py", 9, "c"): Verdict(Key("o/r", "a.py", 9, "c"), "x", False, "gone"),
    }
    rows = precision_table(
        [reported("a.py", 1), reported("a.py", 2), reported("b.py", 1)], verdicts
    )
    assert [(r.check, r.scored, r.advisory, r.scored.precision) for r in rows] == [
        ("c", Tally(3, 2, 1), Tally(), 0.5)
    ]


def test_advisory_findings_are_tallied_apart() -> None:
    key = Key("o/r", "a.py", 1, "c")
    advisory = Reported(key, "m", advisory=True)
    rows = precision_table([advisory, reported("b.py", 2)], {key: Verdict(key, "x", False, "r")})
    assert [(r.scored, r.advisory) for r in rows] == [(Tally(1, 0, 0), Tally(1, 1, 0))]


def test_unread_sample_is_stable_and_skips_read_findings() -> None:
    items = [reported(f"f{n}.py", n) for n in range(20)]
    read = {items[0].key: Verdict(items[0].key, "x", True, "r")}
    first = unread_sample(items, read, 5)
    assert len(first) == 5
    assert items[0] not in first
    assert unread_sample(list(reversed(items)), read, 5) == first


def test_merged_findings_count_for_each_read_source() -> None:
    merged = {
        "tool": "ruff",
        "code": "G004",
        "sources": [
            {"tool": "ruff", "code": "G004"},
            {"tool": "custom", "code": "structured-logging"},
            {"tool": "ruff", "code": "S105"},
        ],
    }
    assert _read_codes(merged) == ["structured-logging", "S105"]
    assert _read_codes({"tool": "mypy", "code": "no-untyped-def"}) == []


def test_pinned_repositories_are_complete() -> None:
    repos = load_repos()
    assert len(repos) >= 5
    assert any(repo.lines > 50_000 for repo in repos)
    assert all(len(repo.commit) == 40 for repo in repos)
