"""Rich renderables for rules: the ``rulepack list`` table and the ``rulepack show`` page."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from rulepack.rules.model import (
    Example,
    MypyBinding,
    Pack,
    RuffBinding,
    Rule,
    Section,
    Severity,
)
from rulepack.rules.query import rendered_text

SEVERITY_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
LEXERS = {".py": "python", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown"}


def severity_text(severity: Severity) -> Text:
    """The severity as coloured text."""
    return Text(severity.value, style=SEVERITY_STYLES[severity])


def checks_summary(rule: Rule) -> str:
    """A one-line summary of how a rule is checked."""
    parts: list[str] = []
    for binding in rule.checks:
        if isinstance(binding, RuffBinding):
            parts.append("ruff " + ",".join(binding.ruff))
        elif isinstance(binding, MypyBinding):
            parts.append("mypy " + ",".join(binding.mypy))
        else:
            parts.append(binding.custom)
    if rule.review is not None:
        parts.append("review")
    return "; ".join(parts)


def rules_table(pack: Pack, selection: list[tuple[Section, Rule]]) -> Table:
    """A table with one row per selected rule."""
    table = Table(title=f"{pack.title} ({pack.id} {pack.version}): {len(selection)} rules")
    table.add_column("ID", style="bold", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Title")
    table.add_column("Checked by")
    table.add_column("Tags", style="dim")
    for _section, rule in selection:
        table.add_row(
            rule.id,
            severity_text(rule.severity),
            pack.render(rule, rule.title),
            checks_summary(rule),
            ", ".join(rule.tags),
        )
    return table


def rule_page(pack: Pack, rule: Rule) -> Group:
    """Everything about one rule: text, provenance, parameters, checks and examples."""
    return Group(*_rule_parts(pack, rule))


def _rule_parts(pack: Pack, rule: Rule) -> Iterator[RenderableType]:
    text = rendered_text(pack, rule)
    section = pack.section_of(rule.id)
    header = Text.assemble(
        (f"{rule.id} ", "bold"),
        (text.title, "bold"),
        "  ",
        severity_text(rule.severity),
        (
            f"  {section.title} · {', '.join(rule.tags)} · applies to {', '.join(rule.applies_to)}",
            "dim",
        ),
    )
    yield header
    yield _titled("Guidance", Markdown(text.guidance))
    yield _titled("Why", Markdown(text.rationale))
    if rule.deviation is not None:
        yield _titled("Differs from the source", Markdown(rule.deviation))
    yield _titled("Source", Markdown("\n".join(f"- {entry}" for entry in rule.source)))
    params = pack.params_for(rule)
    used = {name: params[name] for name in rule.params}
    if used:
        lines = [f"- `{name}` = `{param.render()}`" for name, param in used.items()]
        yield _titled("Parameters", Markdown("\n".join(lines)))
    checks = checks_summary(rule) if rule.checks else "not checked by a tool"
    yield _titled("Checks", Text(checks))
    if text.review is not None:
        yield _titled("Review", Markdown(text.review))
    for example in rule.examples:
        yield _example_panel(example)


def _titled(title: str, body: RenderableType) -> Group:
    return Group(Text(title, style="bold underline"), Padding(body, (0, 0, 1, 2)))


def _example_panel(example: Example) -> Panel:
    suffix = "." + example.path.rsplit(".", 1)[-1] if "." in example.path else ""
    lexer = LEXERS.get(suffix, "text")
    code = Syntax(example.code.rstrip("\n"), lexer, theme="ansi_dark", background_color="default")
    style = "red" if example.kind == "bad" else "green"
    title = f"{example.kind}: {example.path}"
    body: RenderableType = code if example.note is None else Group(code, Text(example.note))
    return Panel(body, title=title, title_align="left", border_style=style)
