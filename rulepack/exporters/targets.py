"""The target registry: every assistant (and non-assistant output) rulepack can write, as data.

A target names the files it writes, how each file is owned (whole file, marked block, or entries
merged into a config), the template that renders it, and the documented size limit that must not
be exceeded. Paths and formats follow ``shared/reference/assistant-formats.md``; ``checked`` says
which documentation each format was checked against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from rulepack.errors import UsageError


class WriteMode(str, Enum):
    """How rulepack owns a file it writes."""

    OWNED = "owned"  # the whole file is rulepack's; it carries a "generated" header
    BLOCK = "block"  # a marked block in a file people also edit; the rest is never touched
    MERGE = "merge"  # entries added to a list in a config file people also edit


class Layout(str, Enum):
    """How a file relates to the pack's sections."""

    PER_SECTION = "per-section"  # one file per section, with the assistant's native scoping
    SINGLE = "single"  # one file holding every section, ordered by section
    CONFIG = "config"  # a tool configuration, not rule text


class Selection(str, Enum):
    """Which sections a file carries."""

    ALL = "all"
    ALWAYS = "always"  # only sections with activation ``always``
    SCOPED = "scoped"  # every other section (glob or requested)


class CommentStyle(str, Enum):
    """The comment syntax used for markers and headers in a file."""

    HTML = "html"
    HASH = "hash"
    NONE = "none"  # JSON: no comments; ownership lives in the manifest only


@dataclass(frozen=True)
class FileSpec:
    """One file (or one file per section) that a target writes.

    ``path`` may contain ``{section}``, replaced by the section id, for per-section layouts.
    """

    path: str
    template: str
    mode: WriteMode
    layout: Layout
    comment: CommentStyle = CommentStyle.HTML
    select: Selection = Selection.ALL
    char_limit: int | None = None
    byte_limit: int | None = None
    limit_note: str = ""


@dataclass(frozen=True)
class MergeSpec:
    """Entries to add to a list under ``key`` in a YAML or JSON config file."""

    path: str
    key: str
    format: str  # "yaml" | "json"
    values: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """One assistant or output format."""

    id: str
    name: str
    files: tuple[FileSpec, ...]
    checked: str
    merges: tuple[MergeSpec, ...] = ()
    readers: tuple[str, ...] = ()
    in_all: bool = True
    notes: str = ""

    def paths(self) -> tuple[str, ...]:
        """Every path pattern the target writes."""
        return tuple(spec.path for spec in self.files) + tuple(m.path for m in self.merges)


def _section_files(
    path: str,
    template: str,
    *,
    select: Selection = Selection.ALL,
    char_limit: int | None = None,
    limit_note: str = "",
) -> FileSpec:
    return FileSpec(
        path=path,
        template=template,
        mode=WriteMode.OWNED,
        layout=Layout.PER_SECTION,
        select=select,
        char_limit=char_limit,
        limit_note=limit_note,
    )


def _shared_file(
    path: str,
    template: str = "single.md.j2",
    *,
    select: Selection = Selection.ALL,
    byte_limit: int | None = None,
    limit_note: str = "",
) -> FileSpec:
    return FileSpec(
        path=path,
        template=template,
        mode=WriteMode.BLOCK,
        layout=Layout.SINGLE,
        select=select,
        byte_limit=byte_limit,
        limit_note=limit_note,
    )


def _owned_file(path: str, template: str, comment: CommentStyle = CommentStyle.HTML) -> FileSpec:
    return FileSpec(
        path=path, template=template, mode=WriteMode.OWNED, layout=Layout.CONFIG, comment=comment
    )


RULE_FILE = "rulepack-{section}"
WINDSURF_LIMIT = 12_000
CODEX_LIMIT = 32 * 1024

TARGETS: tuple[Target, ...] = (
    Target(
        id="agents-md",
        name="AGENTS.md (Codex CLI, Jules, Amp, OpenCode, Factory, Warp, Devin, Kilo, Roo, ...)",
        files=(
            _shared_file(
                "AGENTS.md",
                byte_limit=CODEX_LIMIT,
                limit_note="Codex CLI reads at most 32 KiB (project_doc_max_bytes)",
            ),
        ),
        readers=(
            "Codex CLI",
            "Jules",
            "Amp",
            "OpenCode",
            "Factory Droid",
            "Warp",
            "Devin Desktop",
            "Kilo Code v7",
            "Roo/Zoo Code",
            "Cursor",
            "Copilot agent",
            "Goose",
            "Qwen Code",
            "Kiro",
        ),
        checked="developers.openai.com/codex/guides/agents-md; agents.md (2026-08)",
    ),
    Target(
        id="claude",
        name="Claude Code",
        files=(
            _shared_file("CLAUDE.md", "pointer.md.j2", select=Selection.ALWAYS),
            _section_files(
                f".claude/rules/{RULE_FILE}.md", "paths/rule.md.j2", select=Selection.SCOPED
            ),
        ),
        checked="code.claude.com/docs/en/memory (mirror 2026-08-22)",
        notes="Claude Code does not read AGENTS.md; glob sections go to .claude/rules with paths:.",
    ),
    Target(
        id="cursor",
        name="Cursor",
        files=(_section_files(f".cursor/rules/{RULE_FILE}.mdc", "cursor/rule.mdc.j2"),),
        checked="cursor.com/docs/rules; cursor.com/help/customization/rules (2026-08)",
    ),
    Target(
        id="cursor-legacy",
        name="Cursor (legacy .cursorrules)",
        files=(_shared_file(".cursorrules"),),
        in_all=False,
        checked="cursor.com/docs/rules: .cursorrules still supported, deprecated (2026-08)",
        notes="Only on request: a .cursorrules file shadows AGENTS.md for Zed.",
    ),
    Target(
        id="copilot",
        name="GitHub Copilot",
        files=(
            _shared_file(
                ".github/copilot-instructions.md", "pointer.md.j2", select=Selection.ALWAYS
            ),
            _section_files(
                f".github/instructions/{RULE_FILE}.instructions.md",
                "copilot/rule.instructions.md.j2",
                select=Selection.SCOPED,
            ),
        ),
        checked=(
            "docs.github.com add-repository-instructions; "
            "vscode-docs custom-instructions (2026-07-29)"
        ),
        notes="Always-on sections go to copilot-instructions.md, others to .github/instructions.",
    ),
    Target(
        id="windsurf",
        name="Windsurf (legacy path of Devin Desktop)",
        files=(
            _section_files(
                f".windsurf/rules/{RULE_FILE}.md",
                "windsurf/rule.md.j2",
                char_limit=WINDSURF_LIMIT,
                limit_note="Windsurf reads at most 12,000 characters per rule file",
            ),
        ),
        checked="docs.windsurf.com/windsurf/cascade/memories (2026-08)",
    ),
    Target(
        id="devin",
        name="Devin Desktop (formerly Windsurf)",
        files=(
            _section_files(
                f".devin/rules/{RULE_FILE}.md",
                "windsurf/rule.md.j2",
                char_limit=WINDSURF_LIMIT,
                limit_note="Devin Desktop reads at most 12,000 characters per rule file",
            ),
        ),
        checked="docs.devin.ai/desktop/cascade/memories (2026-08)",
    ),
    Target(
        id="cline",
        name="Cline",
        files=(_section_files(f".clinerules/{RULE_FILE}.md", "paths/rule.md.j2"),),
        checked="docs.cline.bot/customization/cline-rules (2026-08)",
    ),
    Target(
        id="roo",
        name="Roo Code / Zoo Code",
        files=(_section_files(f".roo/rules/{RULE_FILE}.md", "plain/rule.md.j2"),),
        checked="docs.roocode.com/features/custom-instructions (2026-05, EOL; Zoo Code continues)",
        notes="No frontmatter: each file states the files its rules apply to.",
    ),
    Target(
        id="kilo",
        name="Kilo Code",
        files=(_section_files(f".kilocode/rules/{RULE_FILE}.md", "plain/rule.md.j2"),),
        checked="kilo.ai/docs/customize/custom-rules (2026-08; v7 migrates .kilocode/rules)",
    ),
    Target(
        id="continue",
        name="Continue",
        files=(_section_files(f".continue/rules/{RULE_FILE}.md", "continue/rule.md.j2"),),
        checked="docs.continue.dev/customize/deep-dives/rules (2026-08)",
    ),
    Target(
        id="aider",
        name="Aider",
        files=(_shared_file("CONVENTIONS.md"),),
        merges=(
            MergeSpec(
                path=".aider.conf.yml", key="read", format="yaml", values=("CONVENTIONS.md",)
            ),
        ),
        checked="aider.chat/docs/usage/conventions.html; docs/config/aider_conf.html (2026-08)",
    ),
    Target(
        id="gemini",
        name="Gemini CLI",
        files=(_shared_file("GEMINI.md"),),
        checked="google-gemini/gemini-cli docs/cli/gemini-md.md (2026-06)",
    ),
    Target(
        id="antigravity",
        name="Google Antigravity",
        files=(
            _section_files(
                f".agents/rules/{RULE_FILE}.md",
                "windsurf/rule.md.j2",
                char_limit=WINDSURF_LIMIT,
                limit_note="Antigravity reads at most 12,000 characters per rule file",
            ),
        ),
        checked="antigravity.google/docs/rules-workflows (via rulesync, 2026-08)",
    ),
    Target(
        id="zed",
        name="Zed",
        files=(_shared_file(".rules"),),
        checked="zed.dev/docs/ai/rules (2026-08)",
        notes="Zed reads the first of .rules, .cursorrules, ... AGENTS.md; .rules wins.",
    ),
    Target(
        id="junie",
        name="JetBrains Junie",
        files=(_shared_file(".junie/AGENTS.md"), _shared_file(".junie/guidelines.md")),
        checked="jetbrains.com/help/junie/customize-guidelines.html (2025-11); junie CLI (2026-08)",
        notes="The CLI reads .junie/AGENTS.md, IDE plugins .junie/guidelines.md.",
    ),
    Target(
        id="jetbrains-ai",
        name="JetBrains AI Assistant",
        files=(_section_files(f".aiassistant/rules/{RULE_FILE}.md", "plain/rule.md.j2"),),
        checked="jetbrains.com/help/ai-assistant/configure-project-rules.html (2026.1)",
        notes="The rule type (always, by pattern) is set in the IDE, not in the file.",
    ),
    Target(
        id="kiro",
        name="Kiro",
        files=(_section_files(f".kiro/steering/{RULE_FILE}.md", "kiro/steering.md.j2"),),
        checked="kiro.dev/docs/steering (2026-08)",
    ),
    Target(
        id="amazonq",
        name="Amazon Q Developer",
        files=(_section_files(f".amazonq/rules/{RULE_FILE}.md", "plain/rule.md.j2"),),
        checked="docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/context-project-rules.html",
    ),
    Target(
        id="augment",
        name="Augment Code",
        files=(_section_files(f".augment/rules/{RULE_FILE}.md", "augment/rule.md.j2"),),
        checked="docs.augmentcode.com/cli/rules (2026-08)",
        notes="Augment has no glob trigger: glob sections are always_apply.",
    ),
    Target(
        id="trae",
        name="Trae",
        files=(_shared_file(".trae/rules/project_rules.md"),),
        checked="docs.trae.ai rules-for-ai (mirror 2026-01-23)",
        notes="Trae's per-file glob syntax is unverified, so one always-on project_rules.md.",
    ),
    Target(
        id="qwen",
        name="Qwen Code",
        files=(_section_files(f".qwen/rules/{RULE_FILE}.md", "paths/rule.md.j2"),),
        checked="QwenLM/qwen-code docs/users/features/rules.md (v0.15+, 2026-08)",
    ),
    Target(
        id="goose",
        name="Goose",
        files=(_shared_file(".goosehints"),),
        checked="goose-docs.ai using-goosehints (2026-08)",
    ),
    Target(
        id="firebase",
        name="Firebase Studio",
        files=(_shared_file(".idx/airules.md"),),
        checked="firebase.google.com/docs/studio/set-up-gemini (2026-08)",
    ),
    Target(
        id="opencode",
        name="OpenCode",
        files=(_section_files(f".opencode/rules/{RULE_FILE}.md", "plain/rule.md.j2"),),
        merges=(
            MergeSpec(
                path="opencode.json",
                key="instructions",
                format="json",
                values=(".opencode/rules/rulepack-*.md",),
            ),
        ),
        checked="opencode.ai/docs/rules (2026-08)",
        notes="OpenCode also reads AGENTS.md; install one of the two.",
    ),
    Target(
        id="system-prompt",
        name="System prompt (one Markdown file for an API system prompt)",
        files=(_owned_file(".rulepack/system-prompt.md", "system-prompt.md.j2"),),
        checked="n/a",
    ),
    Target(
        id="json",
        name="The resolved pack as JSON",
        files=(_owned_file(".rulepack/pack.json", "pack.json", CommentStyle.NONE),),
        checked="n/a",
    ),
    Target(
        id="ruff",
        name="ruff configuration fragment (extend it from your ruff.toml)",
        files=(_owned_file(".rulepack/ruff.toml", "ruff.toml.j2", CommentStyle.HASH),),
        checked="docs.astral.sh/ruff/configuration (ruff 0.17)",
    ),
    Target(
        id="mypy",
        name="mypy configuration fragment",
        files=(_owned_file(".rulepack/mypy.ini", "mypy.ini.j2", CommentStyle.HASH),),
        checked="mypy.readthedocs.io/en/stable/config_file.html (mypy 2.4)",
    ),
)

TARGETS_BY_ID: Mapping[str, Target] = MappingProxyType({target.id: target for target in TARGETS})


def target_ids(*, all_targets: bool = False) -> tuple[str, ...]:
    """Ids of the targets ``--all`` installs (or every id with ``all_targets``)."""
    return tuple(t.id for t in TARGETS if all_targets or t.in_all)


def resolve_targets(
    names: Sequence[str], *, all_targets: bool, installed: Sequence[str] = ()
) -> tuple[str, ...]:
    """Turn ``--target a,b`` / ``--all`` / nothing into target ids, in registry order.

    With neither names nor ``--all``, the targets already installed are used.

    Raises:
        UsageError: for an unknown id, or when nothing names a target.
    """
    wanted = {part.strip() for name in names for part in name.split(",") if part.strip()}
    unknown = sorted(wanted - set(TARGETS_BY_ID))
    if unknown:
        known = ", ".join(TARGETS_BY_ID)
        raise UsageError(f"unknown target {', '.join(unknown)}; known targets: {known}")
    if all_targets:
        wanted |= set(target_ids())
    if not wanted:
        wanted = set(installed)
    if not wanted:
        raise UsageError("name targets with --target a,b or --all (see 'rulepack targets')")
    return tuple(target.id for target in TARGETS if target.id in wanted)
