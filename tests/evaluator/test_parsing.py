"""Parsing for the project's Python on Python 3.11: lowering newer syntax, and the reasons a file
does not parse."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulepack.cli import main
from rulepack.evaluator.checks.lowering import (
    EXCEPT_WITHOUT_PARENS,
    NEW_FSTRING,
    TEMPLATE_STRING,
    TYPE_PARAMETER_DEFAULT,
    TYPE_PARAMETERS,
    TYPE_STATEMENT,
    Construct,
    lower,
)
from rulepack.evaluator.checks.parsing import ParsedSource, ParseFailure, parse_source
from rulepack.evaluator.checks.runner import run_checks
from rulepack.evaluator.checks.sync_route_handler import SyncRouteHandler
from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.results import RuleStatus
from rulepack.evaluator.samples import discover
from rulepack.rules.loader import load_pack, resolve_pack_dir

PY310, PY311, PY312, PY313, PY314 = (PythonVersion(3, minor) for minor in range(10, 15))


def lowered(source: str) -> tuple[str, set[Construct]]:
    result = lower(cst.parse_module(source))
    return result.text, set(result.constructs)


def changed_lines(source: str, text: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(source.splitlines(), text.splitlines(), strict=True) if a != b]


# --- each construct ----------------------------------------------------------------------------

CASES = [
    pytest.param(
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        [("except ValueError, TypeError:", "except (ValueError, TypeError):")],
        {EXCEPT_WITHOUT_PARENS},
        id="pep758-except",
    ),
    pytest.param(
        "try:\n    pass\nexcept* ValueError, TypeError:\n    pass\n",
        [("except* ValueError, TypeError:", "except* (ValueError, TypeError):")],
        {EXCEPT_WITHOUT_PARENS},
        id="pep758-except-star",
    ),
    pytest.param(
        "def first[T](items: list[T]) -> T:\n    return items[0]\n",
        [("def first[T](items: list[T]) -> T:", "def first(items: list[T]) -> T:")],
        {TYPE_PARAMETERS},
        id="pep695-def",
    ),
    pytest.param(
        "class Box[T: int, *Ts, **P](Base):\n    pass\n",
        [("class Box[T: int, *Ts, **P](Base):", "class Box(Base):")],
        {TYPE_PARAMETERS},
        id="pep695-class",
    ),
    pytest.param(
        "class Box[T]:\n    pass\n",
        [("class Box[T]:", "class Box:")],
        {TYPE_PARAMETERS},
        id="pep695-class-no-bases",
    ),
    pytest.param(
        "def f[T = int](x: T) -> T:\n    return x\n",
        [("def f[T = int](x: T) -> T:", "def f(x: T) -> T:")],
        {TYPE_PARAMETERS, TYPE_PARAMETER_DEFAULT},
        id="pep696-default",
    ),
    pytest.param(
        "type Pair[T] = tuple[T, T]\n",
        [("type Pair[T] = tuple[T, T]", "Pair = tuple[T, T]")],
        {TYPE_STATEMENT, TYPE_PARAMETERS},
        id="pep695-type",
    ),
    pytest.param(
        'name = t"hi {user!r:>10}"\n',
        [('name = t"hi {user!r:>10}"', 'name = f"hi {user!r:>10}"')],
        {TEMPLATE_STRING},
        id="pep750-tstring",
    ),
    pytest.param(
        'key = f"{row["id"]}"\n',
        [('key = f"{row["id"]}"', 'key = f"""{row["id"]}"""')],
        {NEW_FSTRING},
        id="pep701-same-quotes",
    ),
    pytest.param(
        "text = f\"{'\\n'.join(lines)}\"\n",
        [("text = f\"{'\\n'.join(lines)}\"", 'text = f"""{\' \'.join(lines)}"""')],
        {NEW_FSTRING},
        id="pep701-backslash",
    ),
    pytest.param(
        'text = f"{value  # why\n}"\n',
        [('text = f"{value  # why', 'text = f"""{value  '), ('}"', '}"""')],
        {NEW_FSTRING},
        id="pep701-comment-and-newline",
    ),
    pytest.param(
        'text = f"{f"{row["id"]}"}"\n',
        [('text = f"{f"{row["id"]}"}"', 'text = f\'\'\'{f"""{row["id"]}"""}\'\'\'')],
        {NEW_FSTRING},
        id="pep701-nested",
    ),
]


@pytest.mark.parametrize(("source", "changes", "constructs"), CASES)
def test_each_newer_construct_is_lowered_on_its_own_line(
    source: str, changes: list[tuple[str, str]], constructs: set[Construct]
) -> None:
    with pytest.raises(SyntaxError):
        ast.parse(source)  # really newer than 3.11
    text, found = lowered(source)
    assert changed_lines(source, text) == changes
    assert found == constructs
    ast.parse(text)


def test_valid_311_code_is_left_alone() -> None:
    source = 'x = f"{a!r:>{w}} {b=}"\ntry:\n    pass\nexcept (A, B) as e:\n    pass\n'
    assert lowered(source) == (source, set())


MULTILINE = textwrap.dedent(
    """\
    def pick[
        T,
        U,
    ](x: T) -> T:
        return x
    class Box[
        T
    ]:
        size = 1
    class Pair[T](
        Base,
    ):
        pass
    type Table[
        K
    ] = dict[K, int]
    after = 1
    """
)


def test_multi_line_type_parameters_keep_every_later_line() -> None:
    text, _ = lowered(MULTILINE)
    assert text.count("\n") == MULTILINE.count("\n")
    lines = {
        node.name if hasattr(node, "name") else ast.unparse(node): node.lineno
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Return | ast.Assign)
    }
    assert lines == {
        "pick": 1,
        "return x": 5,
        "Box": 6,
        "size = 1": 9,
        "Pair": 10,
        "Table = dict[K, int]": 14,
        "after = 1": 17,
    }


# --- property: lines are kept and 3.11 always parses the result ------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: (
        name not in {"if", "in", "is", "or", "as", "def", "for", "try", "del", "and"}
        and name not in {"not", "type", "else", "elif", "from", "pass", "with", "while", "class"}
        and name not in {"break", "raise", "yield", "async", "await", "global", "lambda", "return"}
        and name not in {"assert", "except", "import", "finally", "continue", "nonlocal"}
    )
)
BREAK = st.sampled_from(["", "\n    "])


@st.composite
def statements(draw: st.DrawFn) -> tuple[str, str]:
    """A top-level statement using newer syntax, and the name it defines."""
    name = draw(NAMES)
    gap = draw(BREAK)  # a line break inside brackets, where the grammar allows one
    kind = draw(st.integers(0, 6))
    blank = draw(st.sampled_from(["", "\n"]))
    templates = [
        f"try:\n    pass\nexcept {name}, TypeError:\n    {name} = 1\n",
        f"def {name}[{gap}T = int,{gap}*Ts](x: T) -> T:\n    return x\n",
        f"class {name}[{gap}T{gap}]({gap}Base):\n    pass\n",
        f"type {name}[{gap}K] = dict[{gap}K, int]\n",
        f'{name} = t"a {{{gap}b!r}}"\n',
        f'{name} = f"{{row["{name}"]}} {{{gap}x  # note\n}}"\n',
        f"{name} = 1\n",
    ]
    return templates[kind] + blank, name


@settings(max_examples=40, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=8))
def test_lowering_keeps_the_line_of_every_definition(body: list[tuple[str, str]]) -> None:
    source = "".join(statement for statement, _ in body)
    text, _ = lowered(source)
    assert text.count("\n") == source.count("\n")
    tree = ast.parse(text)
    defined = {
        (target.id if isinstance(target, ast.Name) else target, node.lineno)
        for node in ast.walk(tree)
        for target in (
            [node.name]
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
            else node.targets
            if isinstance(node, ast.Assign)
            else []
        )
    }
    for _, name in body:
        wanted = re.compile(rf"^(?:def |class |type )?{name}\b|^ +{name} = 1", re.MULTILINE)
        expected = {source.count("\n", 0, m.start()) + 1 for m in wanted.finditer(source)}
        assert expected <= {line for defined_name, line in defined if defined_name == name}


# --- the outcome of parsing one file for a target ---------------------------------------------

EXCEPT_COMMA = "import json\n\ntry:\n    json.loads('')\nexcept ValueError, TypeError:\n    pass\n"


def test_a_file_valid_for_its_target_parses_with_libcst_tree_kept() -> None:
    result = parse_source("m.py", EXCEPT_COMMA, PY314)
    assert isinstance(result, ParsedSource)
    assert result.module is not None
    assert result.module.code == EXCEPT_COMMA
    handler = next(n for n in ast.walk(result.tree) if isinstance(n, ast.ExceptHandler))
    assert handler.lineno == 5
    assert isinstance(handler.type, ast.Tuple)


def test_common_files_parse_with_ast_alone() -> None:
    result = parse_source("m.py", "x = 1\n", PY311)
    assert isinstance(result, ParsedSource)
    assert result.module is None


@pytest.mark.parametrize(
    ("source", "target", "reason", "line"),
    [
        (EXCEPT_COMMA, PY311, "needs Python 3.14", 5),
        (EXCEPT_COMMA, PY313, "needs Python 3.14", 5),
        ("x = 1\ndef f[T = int](x: T) -> T:\n    return x\n", PY312, "needs Python 3.13", 2),
        ("x = 1\n\ntype Id = int\n", PY311, "needs Python 3.12", 3),
        ('n = t"{x}"\n', PY313, "needs Python 3.14", 1),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", PY310, "needs Python 3.11", None),
        ("x = 1\ndef broken(:\n    pass\n", PY314, "syntax error", 2),
        ("x = 1\ndef broken(:\n    pass\n", PY311, "syntax error", 2),
    ],
)
def test_a_file_that_does_not_parse_gets_one_reason(
    source: str, target: PythonVersion, reason: str, line: int | None
) -> None:
    result = parse_source("m.py", source, target)
    assert isinstance(result, ParseFailure)
    assert result.reason == reason
    if line is not None:
        assert result.line == line
    assert "\n" not in result.message
    assert result.message.startswith(reason.split(" at ", maxsplit=1)[0])


def test_needs_message_names_the_construct_and_the_target() -> None:
    result = parse_source("m.py", EXCEPT_COMMA, PY311)
    assert isinstance(result, ParseFailure)
    assert result.message == (
        "needs Python 3.14 (the project targets 3.11): except A, B: without parentheses"
    )


def test_syntax_error_message_has_the_line() -> None:
    result = parse_source("m.py", "x = 1\ndef broken(:\n    pass\n", PY314)
    assert isinstance(result, ParseFailure)
    assert result.message == "syntax error at line 2: invalid syntax"


def test_module_checks_run_on_lowered_files_and_failures_are_reported_once() -> None:
    route = textwrap.dedent(
        """\
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/items")
        def items() -> list[int]:
            try:
                return []
            except ValueError, TypeError:
                return []
        """
    )
    sources = {"app/main.py": route, "app/bad.py": "def broken(:\n"}
    run = run_checks(sources, [SyncRouteHandler], {}, python=PY314)
    assert [(hit.path, hit.span.line) for hit in run.hits["sync-route-handler"]] == [
        ("app/main.py", 7)
    ]
    assert [(f.path, f.reason) for f in run.failures] == [("app/bad.py", "syntax error")]
    older = run_checks(sources, [SyncRouteHandler], {}, python=PY311)
    assert older.hits["sync-route-handler"] == []
    assert [(f.path, f.reason) for f in older.failures] == [
        ("app/bad.py", "syntax error"),
        ("app/main.py", "needs Python 3.14"),
    ]


# --- through the CLI ---------------------------------------------------------------------------

ROUTE = textwrap.dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/items")
    def items() -> list[int]:
        try:
            return [int("1")]
        except ValueError, TypeError:
            return []
    """
)
ASYNC_ROUTE = ROUTE.replace("def items", "async def items").replace("/items", "/more")


def project(root: Path, requires: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "p"\nrequires-python = "{requires}"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(ROUTE)
    (root / "app" / "more.py").write_text(
        ASYNC_ROUTE.replace("except ValueError, TypeError", "except ValueError")
    )
    return root


def evaluate_json(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, object]:
    out = tmp_path / "report.json"
    args = [
        "eval",
        str(root),
        "--no-mypy",
        "--no-cache",
        "--select",
        "FAS001",
        "-f",
        "json",
        "-o",
        str(out),
    ]
    with pytest.raises(SystemExit) as exited:
        main(args)
    capsys.readouterr()
    assert exited.value.code == 0
    sample = json.loads(out.read_text())["samples"][0]
    assert isinstance(sample, dict)
    return sample


def test_cli_checks_a_file_with_except_comma_in_a_314_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "p", ">=3.14")
    sample = evaluate_json(root, tmp_path, capsys)
    assert sample["unparsed"] == []
    assert [(f["path"], f["line"], f["code"]) for f in sample["findings"]] == [
        ("app/main.py", 7, "sync-route-handler")
    ]
    rule = sample["rules"][0]
    assert (rule["status"], rule["files_applicable"], rule["files_failed"]) == ("failed", 2, 1)
    assert rule["files_unparsed"] == 0


def test_cli_reports_the_same_file_once_as_needing_314_in_a_311_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "p", ">=3.11")
    assert discover([root])[0].python == PY311
    sample = evaluate_json(root, tmp_path, capsys)
    assert sample["unparsed"] == [
        {
            "path": "app/main.py",
            "line": 10,
            "reason": "needs Python 3.14",
            "message": "needs Python 3.14 (the project targets 3.11): "
            "except A, B: without parentheses",
        }
    ]
    assert sample["tool_errors"] == []
    rule = sample["rules"][0]
    # main.py left the denominator: the rule passes on more.py alone, and says why.
    assert (rule["status"], rule["files_applicable"], rule["files_failed"]) == ("passed", 1, 0)
    assert (rule["files_unparsed"], rule["unparsed_reasons"]) == (1, ["needs Python 3.14"])


def test_engine_leaves_a_file_too_new_for_the_target_out_of_the_denominators(
    tmp_path: Path,
) -> None:
    root = project(tmp_path / "p", ">=3.11")
    samples = [dataclasses.replace(sample, python=PY311) for sample in discover([root])]
    options = EvalOptions(cache_dir=tmp_path / "cache", use_cache=False, use_mypy=False)
    sample = evaluate(load_pack(resolve_pack_dir(None)), samples, options).samples[0]
    assert [(f.path, f.line, f.reason) for f in sample.unparsed] == [
        ("app/main.py", 10, "needs Python 3.14")
    ]
    fas001 = next(r for r in sample.rules if r.rule_id == "FAS001")
    assert (fas001.status, fas001.files_applicable, fas001.files_unparsed) == (
        RuleStatus.PASSED,
        1,
        1,
    )
    assert not [f for f in sample.findings if f.path == "app/main.py"]
