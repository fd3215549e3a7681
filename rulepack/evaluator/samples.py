"""Find the samples to evaluate and read their files, without importing or running any of them.

A sample is one file or one project directory. ``--samples DIR`` makes each subdirectory of DIR a
sample. A directory is read from the root of its project (the named directory is the scope, the
rest of the project and the files above it up to the repository root are context). Python files
are read as text; a binary, oversized or undecodable ``.py`` file is kept as a file with a
problem: it is listed with its reason, leaves the denominators of the rules in whose scope it is,
and the run goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rulepack.errors import UsageError
from rulepack.evaluator.own_imports import SRC_PREFIX, is_src_layout, unresolved_note
from rulepack.evaluator.pyversion import (
    PythonVersion,
    from_pyproject,
    from_python_version_file,
    target_version,
)
from rulepack.evaluator.roots import ProjectLocation, context_paths, locate, relative_to_root
from rulepack.toml import toml_reader

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
    # Python files of the project root outside the evaluated directory: read to resolve imports
    # and for the project checks, never scored, linted or type-checked.
    context_sources: tuple[SourceFile, ...] = ()
    # Files above the root up to the repository or workspace root (``../../uv.lock``).
    context_files: tuple[str, ...] = ()
    context_texts: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what the user should know about how the sample was read
    # ``src/`` in a src layout: module names start below it (``src/api/main.py`` is ``api.main``)
    import_prefix: str = ""

    @property
    def lines(self) -> int:
        """Lines of Python in the sample."""
        return sum(source.lines for source in self.sources)

    def readable(self) -> dict[str, str]:
        """The Python files that could be read, by relative path."""
        return {s.path: s.text for s in self.sources if s.text is not None}

    def context_readable(self) -> dict[str, str]:
        """The readable Python files of the root outside the evaluated directory."""
        return {s.path: s.text for s in self.context_sources if s.text is not None}

    @property
    def import_roots(self) -> tuple[Path, ...]:
        """The directories top-level modules are imported from (the root, or its ``src/``)."""
        return (self.root / self.import_prefix,) if self.import_prefix else (self.root,)

    def pyprojects(self) -> list[tuple[str, str]]:
        """``(path, text)`` of the root's ``pyproject.toml`` and those above it, nearest first.

        Paths are relative to the root (``pyproject.toml``, ``../../pyproject.toml``); a tool
        reading its own table (``[tool.ruff]``) takes the first that has it, as the tool would.
        """
        found = (
            [("pyproject.toml", self.texts["pyproject.toml"])]
            if "pyproject.toml" in self.texts
            else []
        )
        above = [p for p in self.context_files if p.rsplit("/", 1)[-1] == "pyproject.toml"]
        found.extend(
            (p, self.context_texts[p]) for p in sorted(above, key=len) if p in self.context_texts
        )
        return found

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
        for path, text in sorted(self.context_readable().items()):
            digest.update(f"context:{path}\0{text}\0".encode())
        for path in self.context_files:
            digest.update(f"above:{path}\0{self.context_texts.get(path, '')}\0".encode())
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


@dataclass
class _Tree:
    """The files below a root: Python files inside the evaluated directory and outside it."""

    sources: list[SourceFile] = field(default_factory=list)
    context: list[SourceFile] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)


def _read_tree(root: Path, scope: Path) -> _Tree:
    tree = _Tree()
    for path in _walk(root):
        if path.suffix == ".py":
            source = _read_source(root, path)
            (tree.sources if path.is_relative_to(scope) else tree.context).append(source)
            continue
        relative = path.relative_to(root).as_posix()
        tree.others.append(relative)
        text = _read_text(path)
        if text is not None:
            tree.texts[relative] = text
    return tree


def directory_sample(root: Path, name: str | None = None) -> Sample:
    """Read every file below ``root`` as one sample rooted there (a ``--samples`` subdirectory).

    Nothing above ``root`` is looked at: a generated sample is a project of its own.
    """
    tree = _read_tree(root, root)
    sample = Sample(
        name or root.name,
        root,
        tuple(tree.sources),
        tuple(tree.others),
        tree.texts,
        python=target_version(tree.texts.get("pyproject.toml"), tree.texts.get(".python-version")),
    )
    return _with_imports(sample)


def project_sample(directory: Path) -> Sample:
    """A directory named on the command line, evaluated from the root of its project.

    The Python files below ``directory`` are the sample (scored, linted, type-checked); the rest
    of the project root is context that resolves imports and feeds the project checks, and the
    files above the root up to the repository root are context for the project checks. Paths are
    relative to the project root, so naming ``src/pkg``, ``src`` or the root gives the same
    findings for the same files. The sample is named after the project.
    """
    scope = directory.resolve()
    location = locate(scope)
    root = location.root
    if _skipped_below(root, scope):  # named inside build/, .venv/ ...: read it as it is
        return directory_sample(directory)
    tree = _read_tree(root, scope)
    above = context_paths(location, SKIP_DIRS)
    context_files = tuple(relative_to_root(path, root) for path in above)
    context_texts = {
        relative: text
        for path, relative in zip(above, context_files, strict=True)
        if (text := _read_text(path)) is not None
    }
    notes: tuple[str, ...] = ()
    if root != scope:
        inside = scope.relative_to(root).as_posix() if scope.is_relative_to(root) else str(scope)
        notes = (
            f"evaluating {root} as the project root of {scope} ({location.reason}); "
            f"findings are for {inside}/, the rest of the project is context",
        )
    sample = Sample(
        project_name(tree.texts.get("pyproject.toml"), root),
        root,
        tuple(tree.sources),
        tuple(tree.others),
        tree.texts,
        python=project_python(location),
        context_sources=tuple(tree.context),
        context_files=context_files,
        context_texts=context_texts,
        notes=notes,
    )
    return _with_imports(sample)


def _skipped_below(root: Path, scope: Path) -> bool:
    """Whether the walk from ``root`` would skip ``scope`` (it is inside ``build/`` ...)."""
    parts = scope.relative_to(root).parts if scope.is_relative_to(root) else ()
    return any(part in SKIP_DIRS or part.endswith(".egg-info") for part in parts)


def _with_imports(sample: Sample) -> Sample:
    """``sample`` with its import prefix (src layout) and a note on unresolved own imports."""
    sources = {**sample.context_readable(), **sample.readable()}
    prefix = SRC_PREFIX if _src_layout(sources) else ""
    note = unresolved_note(sources, sample.root.resolve())
    notes = sample.notes if note is None else (*sample.notes, note)
    return dataclasses.replace(sample, notes=notes, import_prefix=prefix)


def _src_layout(sources: Mapping[str, str]) -> bool:
    """A src layout whose paths stay distinct without ``src/`` (no ``src/tests`` and ``tests``)."""
    if not is_src_layout(sources):
        return False
    short = {path.removeprefix(SRC_PREFIX) for path in sources if path.startswith(SRC_PREFIX)}
    return not short & set(sources)


def project_name(pyproject: str | None, root: Path) -> str:
    """``[project] name`` (or ``[tool.poetry] name``) of the root's pyproject, else its name."""
    data: dict[str, object] = {}
    if pyproject is not None:
        with contextlib.suppress(toml_reader.TOMLDecodeError):
            data = toml_reader.loads(pyproject)
    for table in (data.get("project"), _poetry(data)):
        name = table.get("name") if isinstance(table, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return root.name


def _poetry(data: Mapping[str, object]) -> object:
    tool = data.get("tool")
    return tool.get("poetry") if isinstance(tool, dict) else None


def project_python(location: ProjectLocation) -> PythonVersion:
    """The target Python version of a project.

    The nearest ``requires-python`` from the root up to the repository root, else the nearest
    ``.python-version``, else the newest supported.
    """
    directories = [location.root, *location.ancestors()]
    for directory in directories:
        text = _read_text(directory / "pyproject.toml")
        found = from_pyproject(text) if text is not None else None
        if found is not None:
            return found
    for directory in directories:
        text = _read_text(directory / ".python-version")
        found = from_python_version_file(text) if text is not None else None
        if found is not None:
            return found
    return PythonVersion.newest()


def file_sample(path: Path) -> Sample:
    """A one-file sample; its target Python version comes from its project."""
    python = project_python(locate(path.parent))
    return Sample(path.name, path.parent, (_read_source(path.parent, path),), python=python)


def discover(paths: Sequence[Path], samples_dir: Path | None = None) -> list[Sample]:
    """The samples named on the command line.

    Raises:
        UsageError: for a path that does not exist, or a file that is not a ``.py`` file.
    """
    samples: list[Sample] = []
    for path in paths:
        if path.is_dir():
            samples.append(project_sample(path))
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
