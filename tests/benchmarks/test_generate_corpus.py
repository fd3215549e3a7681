"""The benchmark corpus generator: size limits, valid Python, determinism, safe output."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from benchmarks.generate_corpus import (
    MANIFEST_NAME,
    MAX_FILES,
    MAX_LINES,
    MIN_FILES,
    MIN_LINES,
    Noun,
    generate_corpus,
    main,
    make_route_sync,
    rename_noun,
)

SAMPLES = 3


def tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def sample_dirs(root: Path) -> list[Path]:
    return sorted(path for path in root.iterdir() if path.is_dir())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate_corpus(out, samples=SAMPLES, seed=7)
    return out


def test_writes_the_requested_number_of_samples_and_a_manifest(corpus: Path) -> None:
    manifest = json.loads((corpus / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert [d.name for d in sample_dirs(corpus)] == [s["name"] for s in manifest["samples"]]
    assert len(manifest["samples"]) == SAMPLES
    assert manifest["seed"] == 7


def test_every_sample_is_within_the_file_and_line_limits(corpus: Path) -> None:
    for sample in sample_dirs(corpus):
        files = tree(sample)
        lines = sum(len(text.splitlines()) for text in files.values())
        assert MIN_FILES <= len(files) <= MAX_FILES, sample.name
        assert MIN_LINES <= lines <= MAX_LINES, sample.name


def test_manifest_counts_match_the_files_on_disk(corpus: Path) -> None:
    manifest = json.loads((corpus / MANIFEST_NAME).read_text(encoding="utf-8"))
    for entry in manifest["samples"]:
        files = tree(corpus / entry["name"])
        assert entry["files"] == len(files)
        assert entry["lines"] == sum(len(text.splitlines()) for text in files.values())
        assert entry["base"] in {"exemplary", "typical", "poor"}


def test_every_python_file_parses_and_compiles(corpus: Path) -> None:
    python_files = sorted(corpus.rglob("*.py"))
    assert len(python_files) >= SAMPLES * 2
    for path in python_files:
        text = path.read_text(encoding="utf-8")
        ast.parse(text, filename=str(path))
        compile(text, str(path), "exec", dont_inherit=True)  # never executed


def test_samples_are_renamed_away_from_the_fixture_entities(corpus: Path) -> None:
    manifest = json.loads((corpus / MANIFEST_NAME).read_text(encoding="utf-8"))
    for entry in manifest["samples"]:
        text = "\n".join(tree(corpus / entry["name"]).values())
        assert entry["domain"] in text.lower()


def test_same_seed_gives_identical_corpus(tmp_path: Path, corpus: Path) -> None:
    again = tmp_path / "again"
    generate_corpus(again, samples=SAMPLES, seed=7)
    assert tree(again) == tree(corpus)


def test_other_seed_gives_a_different_corpus(tmp_path: Path, corpus: Path) -> None:
    other = tmp_path / "other"
    generate_corpus(other, samples=SAMPLES, seed=8)
    assert tree(other) != tree(corpus)


def test_replaces_old_samples_and_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sample_9999").mkdir(parents=True)
    (out / "sample_9999" / "stale.py").write_text("x = 1\n", encoding="utf-8")
    (out / "notes.txt").write_text("keep me\n", encoding="utf-8")
    generate_corpus(out, samples=1, seed=1)
    assert not (out / "sample_9999").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    assert [d.name for d in sample_dirs(out)] == ["sample_0001"]


def test_cli_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "cli"), "--samples", "2", "--seed", "3"]) == 0
    assert len(sample_dirs(tmp_path / "cli")) == 2
    assert "wrote 2 samples" in capsys.readouterr().out


def test_sync_route_injection_skips_handlers_that_await() -> None:
    awaiting = "@router.get('/a')\nasync def a() -> int:\n    return await f()\n"
    plain = "@router.get('/b')\nasync def b() -> int:\n    return 1\n"
    assert make_route_sync(awaiting) is None
    assert make_route_sync(awaiting + "\n\n" + plain) == awaiting + "\n\n" + plain.replace(
        "async def", "def"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list_items(ItemRead)", "list_books(BookRead)"),
        ('prefix="/api/v1/items"', 'prefix="/api/v1/books"'),
        ("for key, value in data.items():", "for key, value in data.items():"),
        ("user.items", "user.books"),
        ("itemize(subitem)", "itemize(subitem)"),
        ("ITEM_LIMIT = 5", "BOOK_LIMIT = 5"),
    ],
)
def test_rename_noun_renames_whole_identifier_parts_only(text: str, expected: str) -> None:
    assert rename_noun(text, Noun("item", "items"), Noun("book", "books")) == expected
