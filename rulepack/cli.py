"""The ``rulepack`` command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 success, 1 findings or drift (later commands), 2 bad input or usage, 3 internal error,
130 interrupted. Heavy imports (pydantic, ruamel, rich) happen inside the commands so that
``rulepack --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rulepack.rules.loader import LoadResult

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="rulepack",
    help="One YAML rule pack: install it into AI coding assistants and score code against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(str, Enum):
    """Output formats of ``rulepack list``."""

    TABLE = "table"
    JSON = "json"


class SeverityOption(str, Enum):
    """Severities accepted by ``--severity``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


PackOption = Annotated[
    str | None,
    typer.Option(
        "--pack",
        "-p",
        help="A built-in pack name or a pack directory. Default: the built-in 'fastapi' pack.",
        show_default=False,
    ),
]


def _load(pack: str | None, *, check_tools: bool = False) -> LoadResult:
    from rulepack.rules.loader import ToolCatalogues, load, resolve_pack_dir  # noqa: PLC0415

    tools = ToolCatalogues.installed() if check_tools else None
    return load(resolve_pack_dir(pack), tools)


@app.command("list")
def list_rules(
    pack: PackOption = None,
    section: Annotated[
        list[str] | None,
        typer.Option("--section", "-s", help="Section id or prefix (repeatable)."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")] = None,
    severity: Annotated[
        list[SeverityOption] | None, typer.Option("--severity", help="Severity (repeatable).")
    ] = None,
    checkable: Annotated[
        bool | None,
        typer.Option(
            "--checkable/--not-checkable",
            help="Only rules a tool checks, or only review-only rules.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """List the rules of a pack, optionally filtered."""
    from rulepack.rules.model import Severity  # noqa: PLC0415
    from rulepack.rules.query import RuleFilter, listing, select_rules  # noqa: PLC0415

    loaded_pack = _load(pack).pack
    rule_filter = RuleFilter(
        sections=section or (),
        tags=tag or (),
        severities={Severity(value.value) for value in severity or ()},
        checkable=checkable,
    )
    selection = select_rules(loaded_pack, rule_filter)
    if output_format is OutputFormat.JSON:
        sys.stdout.write(listing(loaded_pack, selection).model_dump_json(indent=2) + "\n")
        return
    from rich.console import Console  # noqa: PLC0415

    from rulepack.rules.present import rules_table  # noqa: PLC0415

    Console().print(rules_table(loaded_pack, selection))


@app.command()
def show(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id, e.g. SEC004.")],
    pack: PackOption = None,
) -> None:
    """Show one rule: guidance, rationale, source, parameters, checks and examples."""
    from rich.console import Console  # noqa: PLC0415

    from rulepack.errors import UsageError  # noqa: PLC0415
    from rulepack.rules.present import rule_page  # noqa: PLC0415

    loaded_pack = _load(pack).pack
    try:
        rule = loaded_pack.rule(rule_id.upper())
    except KeyError:
        raise UsageError(f"{loaded_pack.id}: no rule {rule_id!r}; see 'rulepack list'") from None
    Console().print(rule_page(loaded_pack, rule))


@app.command()
def validate(
    pack_dir: Annotated[
        str | None,
        typer.Argument(
            metavar="[PACK_DIR]", help="A pack directory or built-in pack name.", show_default=False
        ),
    ] = None,
    check_tools: Annotated[
        bool,
        typer.Option(
            "--tools/--no-tools", help="Check ruff and mypy codes against the installed tools."
        ),
    ] = True,
) -> None:
    """Check a pack: schema, ids, parameters, examples, tool codes and source coverage."""
    from rulepack.errors import PackError  # noqa: PLC0415

    result = _load(pack_dir, check_tools=check_tools)
    if result.uncovered:
        raise PackError(result.coverage_problems())
    rules = list(result.pack.rules())
    checkable = sum(rule.checkable for rule in rules)
    coverage = f", all {len(result.source_items)} source items cited" if result.source_items else ""
    typer.echo(
        f"{result.pack.id} {result.pack.version}: {len(rules)} rules in "
        f"{len(result.pack.sections)} sections ({checkable} checkable){coverage}"
    )


@app.command()
def schema(
    pack_file: Annotated[
        bool, typer.Option("--pack", help="Print the schema of pack.yaml instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of a section file (or of pack.yaml), for editors."""
    import json  # noqa: PLC0415

    from rulepack.rules.model import PackFile, SectionFile  # noqa: PLC0415

    model = PackFile if pack_file else SectionFile
    document = model.model_json_schema(mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    typer.echo(json.dumps(document, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn user errors into ``error:`` lines and exit code 2."""
    from rulepack.errors import RulepackError  # noqa: PLC0415 - light module, kept local for clarity

    try:
        app(args=argv, prog_name="rulepack")
    except RulepackError as exc:
        for line in exc.lines():
            sys.stderr.write(f"error: {line}\n")
        raise SystemExit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if os.environ.get("RULEPACK_DEBUG"):
            raise
        sys.stderr.write(
            f"rulepack: internal error: {exc!r}\n"
            "This is a bug; rerun with RULEPACK_DEBUG=1 for the traceback and please report it.\n"
        )
        raise SystemExit(EXIT_INTERNAL) from None


if __name__ == "__main__":
    main()
