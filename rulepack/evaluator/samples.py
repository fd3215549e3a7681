"""Find the samples to evaluate and read their files, without importing or running any of them.

A sample is one file or one project directory. ``--samples DIR`` makes each subdirectory of DIR a
sample. Python files are read as text; a binary, oversized or undecodable ``.py`` file is kept as a
file with a problem, so that the rules needing it fail for that sample and the run goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rulepack.errors import UsageError
from rulepack.evaluator.pyversion import PythonVersion

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "__pycache__", "node_modules",
        ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist",
        "site-packages", ".rulepack", ".eggs",
    }
)  # fmt: skip
MAX_SOURCE_BYTES = 1024 * 1024
TEXT_FILES_READ = 256 * 1024  # non-Python files project checks may read, up to this size


@dataclass(frozen=True)
class SourceFile:
    """A Python file of a sample; ``problem`` says why its text could not be read."""

    path: str
    text: str | None
    problem: str | None = None

    @property
    def lines(self) -> int:
        """Physical lines (0 for unreadable files)."""
        return self.text.count("\n") + (not self.text.endswith("\n")) if self.text else 0


@dataclass(frozen=True)
class Sample:
    """One unit of evaluation: a single file or a project directory."""

    name: str
    root: Path
    sources: tuple[SourceFile, ...]
    other_files: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    python: PythonVersion = field(default_factory=PythonVersion.newest)  # target grammar

    @property
    def lines(self) -> int:
        """Lines of Python in the sample."""
        return sum(source.lines for source in self.sources)

    def readable(self) -> dict[str, str]:
        """The Python files that could be read, by relative path."""
        return {s.path: s.text for s in self.sources if s.text is not None}

    def digest(self) -> str:
        """A content hash of every file of the sample (for the result cache)."""
        digest = hashlib.sha256()
        for source in self.sources:
            digest.update(source.path.encode())
            digest.update(b"\0")
            digest.update((source.text or source.problem or "").encode())
            digest.update(b"\0")
        digest.update(str(self.python).encode())
        for path in self.other_files:
            digest.update(path.encode())
            digest.update(self.texts.get(path, "").encode())
        return digest.hexdigest()


def _read_source(root: Path, path: Path) -> SourceFile:
    relative = path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            return SourceFile(relative, None, f"file is {size} bytes, over {MAX_SOURCE_BYTES}")
        raw = path.read_bytes()
    except OSError as exc:
        return SourceFile(relative, None, f"cannot read: {exc.strerror}")
    if b"\x00" in raw:
        return SourceFile(relative, None, "binary file, not Python source")
    try:
        return SourceFile(relative, raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return SourceFile(relative, None, "not UTF-8 text")


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.iterdir()):
        if path.is_symlink():
            continue  # never follow links out of (or around inside) an evaluated tree
        if path.is_dir():
            if path.name not in SKIP_DIRS and not path.name.endswith(".egg-info"):
                yield from _walk(path)
        elif path.is_file():
            yield path


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > TEXT_FILES_READ:
            return None
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def directory_sample(root: Path, name: str | None = None) -> Sample:
    """Read every file below ``root`` (Python sources and the rest, skipping tool caches)."""
    sources: list[SourceFile] = []
    others: list[str] = []
    texts: dict[str, str] = {}
    for path in _walk(root):
        if path.suffix == ".py":
            sources.append(_read_source(root, path))
            continue
        relative = path.relative_to(root).as_posix()
        others.append(relative)
        text = _read_text(path)
        if text is not None:
            texts[relative] = text
    return Sample(name or root.name, root, tuple(sources), tuple(others), texts)


def file_sample(path: Path) -> Sample:
    """A one-file sample."""
    return Sample(path.name, path.parent, (_read_source(path.parent, path),))


def discover(paths: Sequence[Path], samples_dir: Path | None = None) -> list[Sample]:
    """The samples named on the command line.

    Raises:
        UsageError: for a path that does not exist, or a file that is not a ``.py`` file.
    """
    samples: list[Sample] = []
    for path in paths:
        if path.is_dir():
            samples.append(directory_sample(path, path.resolve().name))
        elif path.is_file():
            if path.suffix != ".py":
                raise UsageError(f"{path}:1: not a Python file (evaluate .py files or directories)")
            samples.append(file_sample(path))
        else:
            raise UsageError(f"{path}: no such file or directory")
    if samples_dir is not None:
        if not samples_dir.is_dir():
            raise UsageError(f"{samples_dir}: --samples needs a directory")
        subdirs = [p for p in sorted(samples_dir.iterdir()) if p.is_dir() and not p.is_symlink()]
        samples.extend(directory_sample(sub) for sub in subdirs if sub.name not in SKIP_DIRS)
    if not samples:
        raise UsageError("nothing to evaluate: name files, directories or --samples DIR")
    return _unique_names(samples)


def _unique_names(samples: list[Sample]) -> list[Sample]:
    """Rename samples that share a name (``a/app`` and ``b/app``) to ``app``, ``app-2``, ..."""
    seen: dict[str, int] = {}
    unique: list[Sample] = []
    for sample in samples:
        count = seen.get(sample.name, 0) + 1
        seen[sample.name] = count
        name = sample.name if count == 1 else f"{sample.name}-{count}"
        unique.append(dataclasses.replace(sample, name=name))
    return unique
