"""The ``rulepack`` command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 success, 1 findings or drift (later commands), 2 bad input or usage, 3 internal error,
130 interrupted. Heavy imports (pydantic, ruamel, rich) happen inside the commands so that
``rulepack --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rulepack.exporters.install.plan import Plan
    from rulepack.rules.loader import LoadResult

CURRENT_DIR = Path()
EXPORT_DIR = Path("rulepack-export")
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
    examples: Annotated[
        bool,
        typer.Option(
            "--examples",
            help="Also run the checks on every rule's examples: bad ones must trigger the rule, "
            "good ones must not.",
        ),
    ] = False,
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
    if examples:
        _validate_examples(result)


def _validate_examples(result: LoadResult) -> None:
    from rulepack.evaluator.examples import Verdict, validate_examples  # noqa: PLC0415

    verdicts = validate_examples(result.pack)
    wrong = [v for v in verdicts if v.verdict is Verdict.WRONG]
    unverified = [v for v in verdicts if v.verdict is Verdict.UNVERIFIED]
    for verdict in unverified:
        missing = ", ".join(verdict.missing_checks)
        typer.echo(f"unverified: {verdict.rule_id} (checks not implemented yet: {missing})")
    for verdict in wrong:
        for problem in verdict.problems:
            typer.echo(f"error: {verdict.rule_id}: {problem}", err=True)
    ok = len(verdicts) - len(wrong) - len(unverified)
    typer.echo(
        f"examples: {ok} rules verified, {len(unverified)} unverified, {len(wrong)} wrong",
        err=bool(wrong),
    )
    if wrong:
        raise typer.Exit(1)


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


class ProfileOption(str, Enum):
    """Export profiles."""

    FULL = "full"
    COMPACT = "compact"
    TITLES = "titles"


TargetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target ids, comma-separated or repeated (see 'rulepack targets').",
        show_default=False,
    ),
]
ProjectOption = Annotated[
    Path,
    typer.Option("--project", help="The project to write into.", file_okay=False),
]


@app.command()
def install(
    target: TargetOption = None,
    all_targets: Annotated[
        bool, typer.Option("--all", help="Every assistant target (not legacy or on-request ones).")
    ] = False,
    project: ProjectOption = CURRENT_DIR,
    pack: PackOption = None,
    profile: Annotated[
        ProfileOption | None,
        typer.Option(
            help="full: guidance, rationale, examples; compact: guidance only.",
            show_default="full, or the installed profile",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print a unified diff and write nothing.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if installed files drifted from the pack.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace files edited by hand or not written by rulepack."),
    ] = False,
) -> None:
    """Write the pack's rules into each assistant's native files, or check them for drift."""
    from rulepack.exporters.install.manifest import read_manifest  # noqa: PLC0415
    from rulepack.exporters.install.plan import plan_install  # noqa: PLC0415
    from rulepack.exporters.targets import resolve_targets  # noqa: PLC0415
    from rulepack.exporters.views import Profile  # noqa: PLC0415

    installed = read_manifest(project)
    targets = resolve_targets(
        target or (), all_targets=all_targets, installed=installed.targets if installed else ()
    )
    chosen = Profile(profile.value if profile else installed.profile if installed else "full")
    source = pack or (installed.pack_source or installed.pack if installed else None)
    loaded = _load(source).pack
    plan = plan_install(project, loaded, targets, chosen, force=force, pack_source=source)
    if check:
        drift = plan.drift()
        for line in drift:
            typer.echo(line)
        if drift:
            typer.echo(
                f"{len(drift)} file(s) out of date; run 'rulepack install' to update", err=True
            )
            raise typer.Exit(1)
        typer.echo(f"up to date: {len(targets)} target(s)")
        return
    for note in plan.notices_for_changes():
        typer.echo(f"note: {note}", err=True)
    _show_or_apply(plan, dry_run=dry_run, done=f"{len(targets)} target(s),")


def _show_or_apply(plan: Plan, *, dry_run: bool, done: str) -> None:
    """Print the plan's diff (``--dry-run``), or apply it and summarise what changed."""
    from rulepack.exporters.install.plan import apply_plan  # noqa: PLC0415

    if dry_run:
        for change in plan.changes:
            sys.stdout.write(change.diff())
        typer.echo(f"dry run: {len(plan.changes)} file(s) would change", err=True)
        return
    changed = apply_plan(plan)
    for line in plan.summary():
        typer.echo(line)
    typer.echo(f"{done} {changed} file(s) changed", err=True)


@app.command()
def uninstall(
    target: TargetOption = None,
    project: ProjectOption = CURRENT_DIR,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print a unified diff and write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also remove owned files that were edited by hand.")
    ] = False,
) -> None:
    """Remove what rulepack installed, leaving every hand-written byte in place."""
    from rulepack.exporters.install.plan import plan_uninstall  # noqa: PLC0415
    from rulepack.exporters.targets import resolve_targets  # noqa: PLC0415

    names = resolve_targets(target, all_targets=False) if target else None
    plan = plan_uninstall(project, names, force=force)
    _show_or_apply(plan, dry_run=dry_run, done="uninstalled:")


@app.command()
def targets(
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """List the targets: id, name, the files each writes, and whether each file is shared."""
    from rulepack.exporters.present import targets_json, targets_table  # noqa: PLC0415

    if output_format is OutputFormat.JSON:
        typer.echo(targets_json())
        return
    from rich.console import Console  # noqa: PLC0415

    Console().print(targets_table())


@app.command()
def export(
    target: TargetOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")] = EXPORT_DIR,
    pack: PackOption = None,
    profile: Annotated[ProfileOption, typer.Option(help="full or compact.")] = ProfileOption.FULL,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files in OUT that rulepack did not write.")
    ] = False,
) -> None:
    """Write a target's files into a directory, as they would be installed in an empty project."""
    from rulepack.exporters.install.plan import apply_plan, plan_install  # noqa: PLC0415
    from rulepack.exporters.targets import resolve_targets  # noqa: PLC0415
    from rulepack.exporters.views import Profile  # noqa: PLC0415

    names = resolve_targets(target or (), all_targets=False)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_install(out, _load(pack).pack, names, Profile(profile.value), force=force)
    for note in plan.notices_for_changes():
        typer.echo(f"note: {note}", err=True)
    apply_plan(plan, manifest=False)
    for change in plan.changes:
        typer.echo(str(out / change.path))


class ReportOption(str, Enum):
    """``rulepack eval --format``."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


SelectOption = Annotated[
    list[str] | None, typer.Option("--select", help="Rule ids or prefixes (comma-separated).")
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore", help="Rule ids or prefixes to leave out.")
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...", help="Python files or project directories.", show_default=False
    ),
]


@app.command("eval")
def eval_command(
    paths: PathsArgument = None,
    samples: Annotated[
        Path | None,
        typer.Option(
            "--samples",
            help="Evaluate each subdirectory of DIR as its own sample.",
            file_okay=False,
        ),
    ] = None,
    pack: PackOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    output_format: Annotated[
        ReportOption, typer.Option("--format", "-f", help="Report format.")
    ] = ReportOption.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    fail_under: Annotated[
        float | None, typer.Option("--fail-under", help="Exit 1 when the score is below SCORE.")
    ] = None,
    no_mypy: Annotated[bool, typer.Option("--no-mypy", help="Do not run mypy.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel workers.")] = 1,
    python_executable: Annotated[
        str | None,
        typer.Option(
            "--python-executable",
            help="The Python whose packages mypy should see (it is run). Default: rulepack's "
            "own; a sample's .venv is never used unless named here.",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Analyse every sample again.")
    ] = False,
) -> None:
    """Score Python/FastAPI code against the pack with ruff, mypy and rulepack's checks."""
    from rulepack.errors import UsageError  # noqa: PLC0415
    from rulepack.evaluator.engine import EvalOptions, evaluate  # noqa: PLC0415
    from rulepack.evaluator.reports import ReportFormat  # noqa: PLC0415
    from rulepack.evaluator.reports.render import render_text  # noqa: PLC0415
    from rulepack.evaluator.samples import discover  # noqa: PLC0415

    if python_executable is not None and not Path(python_executable).is_file():
        raise UsageError(f"{python_executable}: --python-executable is not a file")
    found = discover(paths or [], samples)
    loaded = _load(pack).pack
    options = EvalOptions(
        select=_split(select),
        ignore=_split(ignore),
        use_mypy=not no_mypy,
        jobs=jobs,
        python_executable=python_executable,
        use_cache=not no_cache,
        fail_under=fail_under,
    )
    report = evaluate(loaded, found, options)
    fmt = ReportFormat(output_format.value)
    if fmt is not ReportFormat.TABLE or output is not None:  # the table shows them itself
        for sample in report.samples:
            for note in sample.notes:
                typer.echo(f"note: {sample.name}: {note}", err=True)
    if output is not None:
        output.write_text(render_text(report, fmt, loaded), encoding="utf-8")
    elif fmt is ReportFormat.TABLE:
        from rich.console import Console  # noqa: PLC0415

        from rulepack.evaluator.reports.table import render  # noqa: PLC0415

        Console().print(render(report))
    else:
        sys.stdout.write(render_text(report, fmt, loaded))
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def fix(
    paths: PathsArgument = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff and write nothing.")
    ] = False,
    pack: PackOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
) -> None:
    """Apply the safe fixes: status constants, model_config, lifespan, and ruff's own."""
    from rulepack.evaluator.samples import discover  # noqa: PLC0415
    from rulepack.fixes import (  # noqa: PLC0415
        FixOptions,
        plan_fixes,
        tally_text,
        total_counts,
        write_fixes,
    )

    found = discover(paths or [])
    options = FixOptions(select=_split(select), ignore=_split(ignore))
    plan = plan_fixes(_load(pack).pack, found, options)
    for note in plan.notes:
        typer.echo(f"note: {note}", err=True)
    if diff:
        for change in plan.changes:
            sys.stdout.write(change.diff())
        typer.echo(
            f"diff: {len(plan.changes)} file(s) would change ({tally_text(plan.counts())})",
            err=True,
        )
        return
    written, problems = write_fixes(plan)
    for change in written:
        typer.echo(f"fixed {change.summary()}")
    for problem in problems:
        typer.echo(f"note: {problem}", err=True)
    tally = tally_text(total_counts(change.counts for change in written))
    typer.echo(f"fixed {len(written)} file(s) ({tally})", err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn user errors into ``error:`` lines and exit code 2."""
    from rulepack.errors import RulepackError  # noqa: PLC0415 - light module, kept local for clarity

    try:
        app(args=argv, prog_name="rulepack")
    except RulepackError as exc:
        for line in exc.lines():
            sys.stderr.write(f"error: {line}\n")
        raise SystemExit(exc.exit_code) from None
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
