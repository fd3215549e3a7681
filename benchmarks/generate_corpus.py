"""Generate a corpus of FastAPI sample projects for benchmarking ``rulepack eval``.

Every sample is a deterministic variation of one of the apps in ``fixtures/apps``
(``exemplary``, ``typical``, ``poor``):

1. the app's main entity is renamed to another domain noun (``item`` becomes ``invoice``,
   ``Items`` becomes ``Invoices``, ``app/routers/items.py`` becomes ``app/routers/invoices.py``);
2. a random subset of its modules is kept, always with the app's spine (entry point, settings,
   manifest) and the ``__init__.py`` files of every kept package;
3. modules are duplicated under further domain nouns, and the poor app's big modules are split,
   until the sample has its target number of files and enough lines;
4. violations are injected (sync routes, literal status codes, CORS ``"*"``, hard-coded secrets,
   ``requests`` in ``async def`` ...) or removed (``Optional[X]`` to ``X | None``, ``orm_mode`` to
   ``ConfigDict`` ...), each only if the sample still parses and stays within the size limits.

Samples derived from the exemplary app keep high scores, the typical ones land in the middle and the
poor ones low, so the corpus has a spread of scores. Each sample has 6 to 12 files and 400 to 1,500
lines. The same seed always gives byte-identical output.

Usage::

    python benchmarks/generate_corpus.py OUT_DIR --samples 120 --seed 1

``OUT_DIR/corpus.json`` records, per sample, the base app, the domain nouns and the mutations
applied.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MIN_FILES = 6
MAX_FILES = 12
MIN_LINES = 400
MAX_LINES = 1500
LINE_MARGIN = 60  # selection aims this far inside the line limits, for later mutations
MAX_FILL_ATTEMPTS = 60
MAX_DRAWS = 20
MANIFEST_NAME = "corpus.json"
SAMPLE_PREFIX = "sample_"
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
TEXT_SUFFIXES = frozenset({".py", ".md", ".txt", ".toml", ".ini", ".cfg", ".example"})

Files = dict[str, str]
"""A sample's files: POSIX path relative to the sample root -> text."""


@dataclass(frozen=True)
class Noun:
    """An entity name in its singular and plural forms (lower case)."""

    singular: str
    plural: str


@dataclass(frozen=True)
class BaseSpec:
    """How samples are derived from one fixture app."""

    name: str
    noun: Noun
    spine: tuple[str, ...]
    weight: int
    max_injections: int
    max_fixes: int
    splittable: bool


BASES: tuple[BaseSpec, ...] = (
    BaseSpec(
        "exemplary",
        Noun("item", "items"),
        ("app/main.py", "app/core/config.py", "README.md", "requirements.txt"),
        weight=35,
        max_injections=4,
        max_fixes=0,
        splittable=False,
    ),
    BaseSpec(
        "typical",
        Noun("task", "tasks"),
        ("app/main.py", "app/config.py", "requirements.txt"),
        weight=40,
        max_injections=3,
        max_fixes=3,
        splittable=False,
    ),
    BaseSpec(
        "poor",
        Noun("product", "products"),
        ("main.py", "utils.py"),
        weight=25,
        max_injections=2,
        max_fixes=4,
        splittable=True,
    ),
)

DOMAINS: tuple[Noun, ...] = (
    Noun("invoice", "invoices"),
    Noun("ticket", "tickets"),
    Noun("book", "books"),
    Noun("project", "projects"),
    Noun("recipe", "recipes"),
    Noun("device", "devices"),
    Noun("coupon", "coupons"),
    Noun("shipment", "shipments"),
    Noun("article", "articles"),
    Noun("vehicle", "vehicles"),
    Noun("course", "courses"),
    Noun("playlist", "playlists"),
    Noun("patient", "patients"),
    Noun("campaign", "campaigns"),
    Noun("library", "libraries"),
    Noun("warehouse", "warehouses"),
)

STATUS_NAMES: Mapping[int, str] = {
    200: "HTTP_200_OK",
    201: "HTTP_201_CREATED",
    204: "HTTP_204_NO_CONTENT",
    400: "HTTP_400_BAD_REQUEST",
    401: "HTTP_401_UNAUTHORIZED",
    403: "HTTP_403_FORBIDDEN",
    404: "HTTP_404_NOT_FOUND",
    409: "HTTP_409_CONFLICT",
    422: "HTTP_422_UNPROCESSABLE_CONTENT",
    500: "HTTP_500_INTERNAL_SERVER_ERROR",
}
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route"})


@dataclass(frozen=True)
class Sample:
    """One generated sample and how it was made."""

    name: str
    base: str
    domain: str
    duplicates: tuple[str, ...]
    mutations: tuple[str, ...]
    files: Mapping[str, str]

    def line_count(self) -> int:
        """Return the number of lines over all files of the sample."""
        return count_lines(self.files)

    def manifest_entry(self) -> dict[str, object]:
        """Return the sample's record in ``corpus.json``."""
        return {
            "name": self.name,
            "base": self.base,
            "domain": self.domain,
            "duplicates": list(self.duplicates),
            "mutations": list(self.mutations),
            "files": len(self.files),
            "lines": self.line_count(),
        }


# --- reading the fixture apps ------------------------------------------------------------------


def load_app(root: Path) -> Files:
    """Read the text files of a fixture app, skipping caches and generated files.

    Args:
        root: The app directory, e.g. ``fixtures/apps/exemplary``.

    Returns:
        Its files keyed by POSIX path relative to ``root``.
    """
    files: Files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        hidden_dir = any(
            part.startswith(".") or part == "__pycache__" for part in relative.parts[:-1]
        )
        if path.is_file() and not hidden_dir and path.suffix in TEXT_SUFFIXES:
            files[relative.as_posix()] = path.read_text(encoding="utf-8")
    return files


def count_lines(files: Mapping[str, str]) -> int:
    r"""Return the total number of lines of some files.

    Examples:
        >>> count_lines({"a.py": "x = 1\ny = 2\n", "b.md": "# B"})
        3
    """
    return sum(len(text.splitlines()) for text in files.values())


# --- renaming ----------------------------------------------------------------------------------


def rename_noun(text: str, source: Noun, target: Noun) -> str:
    """Rename an entity in code, strings and paths, in lower, Capitalized and UPPER case.

    A match must not continue a lower-case word (``itemize`` stays), but may be glued to
    underscores and to a following capital (``item_id``, ``ItemRead``). The dict method call
    ``.items()`` is left alone.

    Examples:
        >>> rename_noun("list_items(ItemRead, data.items())", Noun("item", "items"),
        ...             Noun("book", "books"))
        'list_books(BookRead, data.items())'
    """
    for old, new in ((source.plural, target.plural), (source.singular, target.singular)):
        for case in (str.lower, str.capitalize, str.upper):
            text = _replace_word(text, case(old), case(new))
    return text


def _replace_word(text: str, old: str, new: str) -> str:
    pattern = re.compile(rf"(?<![A-Za-z]){re.escape(old)}(?![a-z])")

    def substitute(match: re.Match[str]) -> str:
        start, end = match.span()
        is_method_call = text[start - 1 : start] == "." and text[end : end + 1] == "("
        return match.group(0) if is_method_call else new

    return pattern.sub(substitute, text)


def rename_files(files: Mapping[str, str], source: Noun, target: Noun) -> Files:
    """Rename an entity in every path and text of a sample."""
    return {
        rename_noun(path, source, target): rename_noun(text, source, target)
        for path, text in files.items()
    }


def free_domains(files: Mapping[str, str]) -> list[Noun]:
    """Return the domain nouns that occur nowhere in the files, so renaming cannot collide."""
    corpus = "\n".join([*files, *files.values()]).lower()
    return [noun for noun in DOMAINS if noun.singular not in corpus]


# --- selecting and growing modules -------------------------------------------------------------


def package_inits(path: str, available: Mapping[str, str]) -> list[str]:
    """Return the ``__init__.py`` files of the packages that contain ``path``."""
    parents = PurePosixPath(path).parents
    candidates = [
        (parent / "__init__.py").as_posix() for parent in parents if parent.as_posix() != "."
    ]
    return [init for init in candidates if init in available and init != path]


def with_module(chosen: Mapping[str, str], available: Mapping[str, str], path: str) -> Files:
    """Return ``chosen`` plus ``path`` and the package ``__init__.py`` files it needs."""
    grown = dict(chosen)
    for needed in (path, *package_inits(path, available)):
        grown[needed] = available[needed]
    return grown


def fits(files: Mapping[str, str], line_cap: int) -> bool:
    """Return whether a sample is within the file limit and under a line cap."""
    return len(files) <= MAX_FILES and count_lines(files) <= line_cap


def weighted_order(paths: Sequence[str], files: Mapping[str, str], rng: random.Random) -> list[str]:
    """Shuffle paths so that longer files tend to come first (weighted random permutation)."""
    keys = {
        path: rng.random() ** (1 / (len(files[path].splitlines()) + 1)) for path in sorted(paths)
    }
    return sorted(keys, key=lambda path: (-keys[path], path))


def select_modules(
    available: Files, spec: BaseSpec, target_files: int, rng: random.Random
) -> Files:
    """Keep the spine and a random subset of the other files, up to ``target_files``."""
    line_cap = MAX_LINES - LINE_MARGIN
    chosen: Files = {}
    for path in spec.spine:
        if path in available:
            chosen = with_module(chosen, available, path)
    pool = [p for p in available if p not in chosen and not p.endswith("__init__.py")]
    for path in weighted_order(pool, available, rng):
        if len(chosen) >= target_files:
            break
        grown = with_module(chosen, available, path)
        if fits(grown, line_cap):
            chosen = grown
    return chosen


def duplicate_module(files: Files, path: str, source: Noun, target: Noun) -> Files | None:
    """Copy a module with its entity renamed, or return None if the copy would clash."""
    new_path = rename_noun(path, source, target)
    if new_path == path:
        posix = PurePosixPath(path)
        new_path = posix.with_name(f"{posix.stem}_{target.plural}{posix.suffix}").as_posix()
    copy = rename_noun(files[path], source, target)
    if new_path in files or copy == files[path]:
        return None
    return {**files, new_path: copy}


def merge_duplicate(files: Files, path: str, source: Noun, target: Noun) -> Files | None:
    """Append a renamed copy of a module's definitions to the module itself.

    This grows a module without adding a file, the way one router module ends up serving two
    resources. Returns None when the copy would redefine a function or class of the original.
    """
    text = files[path]
    copy = rename_noun(text, source, target)
    tree, copy_tree = ast.parse(text), ast.parse(copy)
    if copy == text or _defined_names(tree) & _defined_names(copy_tree):
        return None
    statements = [
        node for node in copy_tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    if statements and ast.get_docstring(copy_tree) is not None:
        statements = statements[1:]
    if not statements:
        return None
    copy_lines = copy.splitlines(keepends=True)
    known = set(text.splitlines(keepends=True))
    imports = [
        line
        for node in copy_tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in _node_lines(copy_lines, node)
        if line not in known
    ]
    body = "".join(copy_lines[_start_line(statements[0]) - 1 :])
    merged = append_block(insert_after_imports(text, "".join(imports)), body)
    return {**files, path: merged}


def _defined_names(tree: ast.Module) -> set[str]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def insert_after_imports(text: str, lines: str) -> str:
    """Insert lines after the module's last top-level import (or after its docstring)."""
    imports = [
        node for node in ast.parse(text).body if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    if not imports:
        return insert_after_docstring(text, lines)
    cut = imports[-1].end_lineno or imports[-1].lineno
    source = text.splitlines(keepends=True)
    return "".join([*source[:cut], lines, *source[cut:]])


def split_module(files: Files, path: str) -> Files | None:
    """Move the second half of a module's top-level statements into a new module.

    The new module repeats the imports and star-imports the original, which is how hastily
    split code looks. Returns None when the module is too small to split.
    """
    text = files[path]
    body = ast.parse(text).body
    statements = [node for node in body if not isinstance(node, (ast.Import, ast.ImportFrom))]
    if len(statements) < 4:
        return None
    lines = text.splitlines(keepends=True)
    header = [
        line
        for node in body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in _node_lines(lines, node)
    ]
    cut = _start_line(statements[len(statements) // 2]) - 1
    posix = PurePosixPath(path)
    new_path = posix.with_name(
        f"{posix.stem}_part{sum(p.startswith(posix.stem) for p in files)}.py"
    )
    module = ".".join(posix.with_suffix("").parts)
    new_text = "".join([*header, f"from {module} import *\n\n\n", *lines[cut:]])
    return {**files, path: "".join(lines[:cut]).rstrip("\n") + "\n", new_path.as_posix(): new_text}


def _start_line(node: ast.stmt) -> int:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return node.lineno


def _node_lines(lines: Sequence[str], node: ast.stmt) -> list[str]:
    end = node.end_lineno if node.end_lineno is not None else node.lineno
    return list(lines[node.lineno - 1 : end])


def grow(
    files: Files,
    available: Files,
    spec: BaseSpec,
    target: tuple[int, int],
    domains: Sequence[Noun],
    rng: random.Random,
) -> tuple[Files, list[str]]:
    """Add, duplicate or (for the poor app) split modules until the sample is big enough.

    The sample grows until it has the target number of files and lines, or no step helps any
    more. At the file limit, the shortest removable file makes room for a longer one.

    Args:
        files: The selected files.
        available: Every file of the renamed app.
        spec: The base app.
        target: The numbers of files and of lines to reach.
        domains: The sample's domain nouns; the first is the main one, the others name duplicates.
        rng: The sample's random source.

    Returns:
        The grown files and the domain nouns used for duplicates.
    """
    used: set[str] = set()
    for _ in range(MAX_FILL_ATTEMPTS):
        lines = count_lines(files)
        if len(files) >= target[0] and lines >= target[1]:
            break
        candidate, noun = _grow_step(files, available, spec, target[0], domains, rng)
        if candidate is None:
            continue
        candidate = make_room(candidate, files, spec)
        line_count = count_lines(candidate)
        is_bigger = len(candidate) > len(files) or line_count > lines
        if is_bigger and fits(candidate, MAX_LINES - LINE_MARGIN) and _parses(candidate):
            files = candidate
            used.update([noun] if noun else [])
    return files, sorted(used)


def _grow_step(
    files: Files,
    available: Files,
    spec: BaseSpec,
    target_files: int,
    domains: Sequence[Noun],
    rng: random.Random,
) -> tuple[Files | None, str | None]:
    """Propose one growth step: add an unused module, split, merge or duplicate a module.

    Returns:
        The proposed files (None when the step does not apply) and the duplicate's domain noun.
    """
    noun = domains[0]
    unused = _modules(available, exclude=files)
    is_short_of_files = len(files) < target_files
    if unused and is_short_of_files and rng.random() < 0.5:
        return with_module(files, available, weighted_order(unused, available, rng)[0]), None
    modules = _modules(files, only=available)
    if spec.splittable and rng.random() < 0.5:
        return split_module(
            files, max(modules, key=lambda p: (len(files[p].splitlines()), p))
        ), None
    extra = rng.choice(domains[1:4])
    features = weighted_order([p for p in modules if _mentions(p, noun)], files, rng)
    mentions = weighted_order(
        [p for p in modules if p not in features and _mentions(files[p], noun)], files, rng
    )
    if not is_short_of_files:
        merges = (merge_duplicate(files, source, noun, extra) for source in features + mentions)
        merged = next((candidate for candidate in merges if candidate is not None), None)
        if merged is not None:
            return merged, extra.singular
    unused_features = [p for p in unused if _mentions(p, noun)]
    if unused_features and (not features or rng.random() < 0.5):
        return with_module(
            files, available, weighted_order(unused_features, available, rng)[0]
        ), None
    sources = features or mentions
    if sources:
        return duplicate_module(files, sources[0], noun, extra), extra.singular
    return None, None


def _modules(
    files: Mapping[str, str],
    *,
    only: Mapping[str, str] | None = None,
    exclude: Mapping[str, str] | None = None,
) -> list[str]:
    return sorted(
        path
        for path in files
        if path.endswith(".py")
        and not path.endswith("__init__.py")
        and (only is None or path in only)
        and (exclude is None or path not in exclude)
    )


def _mentions(text: str, noun: Noun) -> bool:
    return re.search(rf"(?<![A-Za-z]){noun.singular}", text, re.IGNORECASE) is not None


def make_room(candidate: Files, before: Mapping[str, str], spec: BaseSpec) -> Files:
    """Drop the shortest files that ``before`` had until ``candidate`` is within the file limit.

    Spine files and package ``__init__.py`` files are never dropped.
    """
    removable = sorted(
        (
            p
            for p in before
            if p in candidate and p not in spec.spine and not p.endswith("__init__.py")
        ),
        key=lambda p: (len(candidate[p].splitlines()), p),
    )
    excess = len(candidate) - MAX_FILES
    doomed = set(removable[: max(excess, 0)])
    return {path: text for path, text in candidate.items() if path not in doomed}


def _parses(files: Mapping[str, str]) -> bool:
    """Return whether every module compiles; nothing is run.

    Compiling also rejects what ``ast.parse`` lets through, such as ``await`` outside
    ``async def`` or a repeated keyword argument.
    """
    try:
        for path, text in files.items():
            if path.endswith(".py"):
                compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[str], "str | None"]
"""Take a module's text and return the mutated text, or None where it does not apply."""


def insert_after_docstring(text: str, lines: str) -> str:
    """Insert lines after the module docstring (or at the top when there is none)."""
    body = ast.parse(text).body
    has_docstring = (
        bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
    )
    cut = body[0].end_lineno or 0 if has_docstring else 0
    source = text.splitlines(keepends=True)
    return "".join([*source[:cut], lines, *source[cut:]])


def append_block(text: str, block: str) -> str:
    """Append a top-level block two blank lines below the module's last line."""
    return text.rstrip("\n") + "\n\n\n" + block


def _route_functions(text: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr in ROUTE_METHODS
            for d in node.decorator_list
        )
    ]


def make_route_sync(text: str) -> str | None:
    """Turn the first ``async def`` route handler that awaits nothing into a ``def``."""
    for node in _route_functions(text):
        awaits = any(
            isinstance(inner, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for inner in ast.walk(node)
        )
        if isinstance(node, ast.AsyncFunctionDef) and not awaits:
            lines = text.splitlines(keepends=True)
            lines[node.lineno - 1] = lines[node.lineno - 1].replace("async def ", "def ", 1)
            return "".join(lines)
    return None


def make_routes_async(text: str) -> str | None:
    """Turn every sync route handler into ``async def``."""
    lines = text.splitlines(keepends=True)
    sync_routes = [n for n in _route_functions(text) if isinstance(n, ast.FunctionDef)]
    for node in sync_routes:
        lines[node.lineno - 1] = lines[node.lineno - 1].replace("def ", "async def ", 1)
    return "".join(lines) if sync_routes else None


def drop_docstrings(text: str) -> str | None:
    """Delete the docstrings of functions and classes that have other statements."""
    doomed: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and len(node.body) > 1
            and ast.get_docstring(node) is not None
        ):
            first = node.body[0]
            doomed.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    if not doomed:
        return None
    return "".join(
        line
        for number, line in enumerate(text.splitlines(keepends=True), 1)
        if number not in doomed
    )


def _regex_mutation(
    pattern: str, replacement: str | Callable[[re.Match[str]], str], count: int = 0
) -> Mutation:
    compiled = re.compile(pattern)

    def mutate(text: str) -> str | None:
        mutated = compiled.sub(replacement, text, count=count)
        return mutated if mutated != text else None

    return mutate


def _snippet_mutation(block: str, header: str = "") -> Mutation:
    """Append ``block`` to a module and insert ``header`` after its docstring."""

    def mutate(text: str) -> str | None:
        grown = append_block(text, block) if block else text
        return insert_after_docstring(grown, header) if header else grown

    return mutate


def _needs(marker: str, mutation: Mutation) -> Mutation:
    def mutate(text: str) -> str | None:
        return mutation(text) if marker in text else None

    return mutate


def _status_constant(match: re.Match[str]) -> str:
    name = STATUS_NAMES.get(int(match.group(1)))
    return f"status_code=status.{name}" if name else match.group(0)


def use_status_constants(text: str) -> str | None:
    """Replace ``status_code=404`` literals by ``fastapi.status`` constants."""
    mutated = re.sub(r"status_code=(\d{3})\b", _status_constant, text)
    if mutated == text:
        return None
    if not re.search(r"^from fastapi import .*\bstatus\b", mutated, re.MULTILINE):
        mutated = insert_after_docstring(mutated, "from fastapi import status\n")
    return mutated


def use_config_dict(text: str) -> str | None:
    """Replace ``class Config: orm_mode = True`` by ``model_config = ConfigDict(...)``."""
    mutated = re.sub(
        r"( *)class Config:\n\s+orm_mode = True\n",
        r"\1model_config = ConfigDict(from_attributes=True)\n",
        text,
    )
    if mutated == text:
        return None
    if "import ConfigDict" not in mutated and ", ConfigDict" not in mutated:
        mutated = insert_after_docstring(mutated, "from pydantic import ConfigDict\n")
    return mutated


def _long_function() -> str:
    steps = "".join(
        f'    total_{n} = sum(row.get("field_{n}", 0) for row in rows)\n' for n in range(34)
    )
    fields = ", ".join(f'"field_{n}": total_{n}' for n in range(0, 34, 11))
    return (
        "def build_summary(rows: list[dict[str, int]]) -> dict[str, int]:\n"
        '    """Sum every field over the rows."""\n'
        f"{steps}    return {{{fields}}}\n"
    )


ON_EVENT = '''\
@app.on_event("startup")
async def warm_up() -> None:
    """Warm caches before the first request."""
'''
SECRETS = """\
SERVICE_API_KEY = "live_EXAMPLE_key_not_real_0000"
ADMIN_PASSWORD = "hunter2hunter2"
"""
REQUESTS_IN_ASYNC = '''\
async def fetch_exchange_rate(currency: str) -> float:
    """Return the exchange rate of a currency."""
    response = requests.get(f"https://rates.example.com/v1/{currency}")
    return float(response.json()["rate"])
'''
SQL_FSTRING = '''\
async def count_named(session, table: str, name: str) -> int:
    """Count the rows of a table that have a name."""
    statement = text(f"SELECT COUNT(*) FROM {table} WHERE name = '{name}'")
    result = await session.execute(statement)
    return int(result.scalar_one())
'''
BARE_EXCEPT = '''\
def parse_int(value: str) -> int | None:
    """Parse an integer, or return None."""
    try:
        return int(value)
    except:
        return None
'''
MUTABLE_GLOBAL = '''\
recent_ids: list[int] = []


def remember(entity_id: int) -> None:
    """Remember an id for the stats endpoint."""
    recent_ids.append(entity_id)
'''
MUTABLE_DEFAULT = '''\
def merge_tags(tags: list[str] = [], extra: str = "") -> list[str]:
    """Add a tag to a list of tags."""
    tags.append(extra)
    return tags
'''
PRINT_LOGGING = '''\
def audit(event: str, entity_id: int) -> None:
    """Record an audit event."""
    print(f"audit {event} {entity_id}")
'''
ENV_OUTSIDE_SETTINGS = 'import os\n\nFEATURE_FLAG = os.getenv("FEATURE_FLAG", "off")\n'
DEPENDS_ANNOTATED = r"(\w+): Annotated\[([\w.]+), Depends\(([\w.]*)\)\]"

INJECTIONS: tuple[tuple[str, Mutation], ...] = (
    ("sync-route", make_route_sync),
    ("literal-status", _regex_mutation(r"status\.HTTP_(\d{3})_[A-Z0-9_]+", r"\1", count=2)),
    ("cors-wildcard", _regex_mutation(r"allow_origins=[^,\n]+", 'allow_origins=["*"]')),
    (
        "debug-mode",
        _regex_mutation(r"= FastAPI\((?![^)]*debug=)", "= FastAPI(debug=True, ", count=1),
    ),
    ("on-event", _needs("app = FastAPI(", _snippet_mutation(ON_EVENT))),
    ("drop-docstrings", drop_docstrings),
    ("drop-return-types", _regex_mutation(r"\) -> [^:\n]+:\n", "):\n")),
    ("depends-default", _regex_mutation(DEPENDS_ANNOTATED, r"\1: \2 = Depends(\3)")),
    ("hardcoded-secret", _snippet_mutation("", SECRETS)),
    ("requests-in-async", _snippet_mutation(REQUESTS_IN_ASYNC, "import requests\n")),
    ("sql-fstring", _snippet_mutation(SQL_FSTRING, "from sqlalchemy import text\n")),
    ("bare-except", _snippet_mutation(BARE_EXCEPT)),
    ("mutable-global", _snippet_mutation(MUTABLE_GLOBAL)),
    ("mutable-default", _snippet_mutation(MUTABLE_DEFAULT)),
    ("print-logging", _snippet_mutation(PRINT_LOGGING)),
    ("env-outside-settings", _snippet_mutation("", ENV_OUTSIDE_SETTINGS)),
    ("wildcard-import", _snippet_mutation("", "from os.path import *\n")),
    ("long-function", _snippet_mutation(_long_function())),
)

FIXES: tuple[tuple[str, Mutation], ...] = (
    ("async-routes", make_routes_async),
    ("status-constants", use_status_constants),
    ("pep604-optional", _regex_mutation(r"Optional\[([\w.]+)\]", r"\1 | None")),
    ("builtin-generics", _regex_mutation(r"\b(List|Dict)\[", lambda m: m.group(1).lower() + "[")),
    (
        "cors-origins",
        _regex_mutation(r'allow_origins=\["\*"\]', 'allow_origins=["https://app.example.com"]'),
    ),
    ("debug-off", _regex_mutation(r"debug=True", "debug=False")),
    ("specific-except", _regex_mutation(r"except:", "except Exception:")),
    ("config-dict", use_config_dict),
)


def apply_mutations(
    files: Files, catalogue: Sequence[tuple[str, Mutation]], count: int, rng: random.Random
) -> tuple[Files, list[str]]:
    """Apply up to ``count`` distinct mutations, each to one random module where it applies.

    A mutation is kept only if every module still parses and the sample stays within the limits.

    Returns:
        The mutated files and the names of the mutations applied (as ``name@path``).
    """
    applied: list[str] = []
    for name, mutation in rng.sample(list(catalogue), k=min(count, len(catalogue))):
        modules = sorted(p for p in files if p.endswith(".py") and not p.endswith("__init__.py"))
        rng.shuffle(modules)
        for path in modules:
            mutated = mutation(files[path])
            if mutated is None:
                continue
            candidate = {**files, path: mutated}
            if _parses({path: mutated}) and MIN_LINES <= count_lines(candidate) <= MAX_LINES:
                files = candidate
                applied.append(f"{name}@{path}")
            break
    return files, applied


# --- building the corpus -----------------------------------------------------------------------


def build_sample(index: int, seed: int, apps: Mapping[str, Files]) -> Sample:
    """Build one sample, deterministically from ``seed`` and ``index``.

    The base app is drawn first; a variation that misses the file or line limits is redrawn
    from a derived seed.

    Args:
        index: The sample's number, from 1.
        seed: The corpus seed.
        apps: The fixture apps by name, as read by :func:`load_app`.

    Returns:
        The sample.

    Raises:
        RuntimeError: No draw met the limits (a generator bug).
    """
    base_rng = random.Random(f"{seed}:{index}")  # noqa: S311 - reproducible variation, not security
    spec = base_rng.choices(BASES, weights=[base.weight for base in BASES])[0]
    for attempt in range(MAX_DRAWS):
        sample = _draw_sample(
            f"{SAMPLE_PREFIX}{index:04d}", spec, f"{seed}:{index}:{attempt}", apps
        )
        if (
            MIN_FILES <= len(sample.files) <= MAX_FILES
            and MIN_LINES <= sample.line_count() <= MAX_LINES
            and _parses(sample.files)
        ):
            return sample
    raise RuntimeError(f"sample {index} of seed {seed}: no draw within the size limits")


def _draw_sample(name: str, spec: BaseSpec, rng_seed: str, apps: Mapping[str, Files]) -> Sample:
    rng = random.Random(rng_seed)  # noqa: S311 - reproducible variation, not security
    domains = free_domains(apps[spec.name])
    rng.shuffle(domains)
    available = rename_files(apps[spec.name], spec.noun, domains[0])
    target = (
        rng.randint(MIN_FILES, MAX_FILES),
        rng.randint(MIN_LINES + LINE_MARGIN, MAX_LINES // 2),
    )
    files = select_modules(available, spec, target[0], rng)
    files, duplicates = grow(files, available, spec, target, domains, rng)
    files, injected = apply_mutations(files, INJECTIONS, rng.randint(0, spec.max_injections), rng)
    files, fixed = apply_mutations(files, FIXES, rng.randint(0, spec.max_fixes), rng)
    mutations = tuple(injected + fixed)
    return Sample(name, spec.name, domains[0].singular, tuple(duplicates), mutations, files)


def generate_corpus(
    out_dir: Path, samples: int, seed: int, fixtures: Path = DEFAULT_FIXTURES
) -> list[Sample]:
    """Write ``samples`` sample projects and ``corpus.json`` into ``out_dir``.

    Args:
        out_dir: Target directory; created if missing. Existing ``sample_*`` directories and
            ``corpus.json`` in it are replaced, nothing else is touched.
        samples: How many samples to write.
        seed: The seed; the same seed gives the same corpus.
        fixtures: The directory that holds the ``exemplary``, ``typical`` and ``poor`` apps.

    Returns:
        The samples written.
    """
    apps = {spec.name: load_app(fixtures / spec.name) for spec in BASES}
    built = [build_sample(index, seed, apps) for index in range(1, samples + 1)]
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in sorted(out_dir.glob(f"{SAMPLE_PREFIX}*")):
        if stale.is_dir():
            shutil.rmtree(stale)
    for sample in built:
        for relative, text in sorted(sample.files.items()):
            target = out_dir / sample.name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    manifest = {"seed": seed, "samples": [sample.manifest_entry() for sample in built]}
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return built


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and generate the corpus.

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="directory to write the samples into")
    parser.add_argument("--samples", type=int, default=120, help="number of samples (default 120)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--fixtures", type=Path, default=DEFAULT_FIXTURES, help="directory of the fixture apps"
    )
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    built = generate_corpus(args.out_dir, args.samples, args.seed, args.fixtures)
    bases = {spec.name: sum(s.base == spec.name for s in built) for spec in BASES}
    lines = sum(sample.line_count() for sample in built)
    sys.stdout.write(f"wrote {len(built)} samples ({lines} lines; {bases}) to {args.out_dir}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
