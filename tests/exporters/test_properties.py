"""Property-based tests: hostile rule text never breaks a file's structure or a marked block."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from configparser import ConfigParser
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from rulepack.exporters.install.blocks import block_body, find_block
from rulepack.exporters.install.merge import merge_yaml, unmerge_yaml
from rulepack.exporters.install.plan import apply_plan, plan_install, plan_uninstall
from rulepack.exporters.render import block_markers, render_target
from rulepack.exporters.targets import TARGETS, TARGETS_BY_ID, CommentStyle, WriteMode
from rulepack.exporters.views import Profile
from rulepack.rules.model import (
    Activation,
    Example,
    MypyBinding,
    Pack,
    Parameter,
    RuffBinding,
    Rule,
    Section,
    Severity,
)

if sys.version_info >= (3, 11):  # the ruff.toml check needs a TOML reader
    import tomllib

PACK_ID = "prop"
HTML_BEGIN, HTML_END = block_markers(PACK_ID, CommentStyle.HTML)
HASH_BEGIN, HASH_END = block_markers(PACK_ID, CommentStyle.HASH)
MARKERS = {HTML_BEGIN, HTML_END, HASH_BEGIN, HASH_END}

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces that have broken generators of rule files: YAML and Markdown structure, template syntax,
# rulepack's own markers, line breaks of every kind, unicode that changes direction or is a line
# separator to some readers, and lines long enough to trip wrapping.
HOSTILE = [
    "---",
    "\n---\n",
    "...",
    "{{ x }}",
    "{% if x %}",
    "{# c #}",
    "<!--",
    "-->",
    HTML_BEGIN,
    HTML_END,
    HASH_BEGIN,
    HASH_END,
    f"\n{HTML_BEGIN}\n",
    f"\n{HTML_END}\n",
    f"\n{HASH_END}\n",
    "\u2028",
    "\u2029",
    "\x85",
    "🎉",
    "👩‍💻",
    "\u202e",
    "\u200f",
    "עברית",
    "العربية",
    "\r\n",
    "\r",
    "\n",
    "\n\n",
    "```",
    "\n```\n",
    "~~~",
    "$${literal}",
    "${p}",
    "'",
    '"',
    ": ",
    " #",
    "\t",
    "\\",
    "- ",
    "* ",
    "[x]",
    "&anchor",
    "*alias",
    "!tag",
    "%",
    "@",
    "|",
    ">",
    "  ",
    "L" * 900,
]

SAFE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),  # surrogates cannot be written as UTF-8
        # Only the fragments above may form ${...}.
        blacklist_characters="${}",
    ),
    max_size=12,
)


def _not_blank(text: str, max_size: int) -> str:
    text = text.strip()[:max_size]
    return text if text.strip() else "A"


def hostile_text(max_size: int) -> st.SearchStrategy[str]:
    """Text made of hostile pieces and arbitrary unicode, never blank, at most ``max_size``.

    A piece may make up the whole text, so a text can be exactly a marker line.
    """
    pieces = st.lists(st.one_of(st.sampled_from(HOSTILE), SAFE), min_size=1, max_size=6)
    return pieces.map(lambda parts: _not_blank("".join(parts), max_size))


CHECKS = (RuffBinding(ruff=("E722",)), MypyBinding(mypy=("no-untyped-def",), flags=("strict",)))
GLOBS = ["**/*.py", "app/**/*.py", "src/{api,core}/*.ts", "docs/**", "*.md"]


@st.composite
def rules(draw: st.DrawFn, prefix: str, count: int) -> list[Rule]:
    made = []
    for number in range(1, count + 1):
        with_examples = draw(st.booleans())
        examples = (
            (
                Example(
                    bad=draw(hostile_text(1200)), path=draw(st.sampled_from(["a.py", "b.txt", "c"]))
                ),
                Example(good=draw(hostile_text(1200))),
            )
            if with_examples
            else ()
        )
        checks = CHECKS if with_examples and draw(st.booleans()) else ()
        title = draw(hostile_text(100))
        made.append(
            Rule(
                id=f"{prefix}{number:03d}",
                title=title,
                severity=draw(st.sampled_from(list(Severity))),
                guidance=draw(hostile_text(400)),
                rationale=draw(hostile_text(1500)),
                source=("the source",),
                applies_to=tuple(
                    draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3, unique=True))
                ),
                tags=("prop",),
                review=draw(hostile_text(200)),
                examples=examples,
                checks=checks,
            )
        )
    return made


@st.composite
def packs(draw: st.DrawFn) -> Pack:
    activations = draw(
        st.lists(st.sampled_from(list(Activation)), min_size=1, max_size=3).map(
            lambda chosen: [Activation.ALWAYS, Activation.GLOB, *chosen][: len(chosen) + 1]
        )
    )
    sections = []
    for index, activation in enumerate(activations):
        prefix = ("AAA", "BBB", "CCC", "DDD")[index]
        sections.append(
            Section(
                id=f"sec-{index}",
                prefix=prefix,
                title=draw(hostile_text(80)),
                description=draw(st.none() | hostile_text(300)),
                activation=activation,
                rules=tuple(draw(rules(prefix, draw(st.integers(1, 2))))),
            )
        )
    return Pack(
        id=PACK_ID,
        version="1.0.0",
        title=draw(hostile_text(80)),
        description=draw(st.none() | hostile_text(200)),
        params={"p": Parameter(value=draw(hostile_text(200)))},
        sections=tuple(sections),
    )


TAME_EXAMPLES = (Example(bad="x = 1"), Example(good="x = 2"))


def tame(pack: Pack) -> Pack:
    """The same pack with plain text: same sections, activations, globs and rule ids."""
    return pack.model_copy(
        update={
            "title": "Tame",
            "description": None,
            "params": {},
            "sections": tuple(
                section.model_copy(
                    update={
                        "title": "Section",
                        "description": "Plain.",
                        "rules": tuple(
                            rule.model_copy(
                                update={
                                    "title": "Title",
                                    "guidance": "Guidance.",
                                    "rationale": "Rationale.",
                                    "review": "Review?",
                                    "examples": TAME_EXAMPLES if rule.examples else (),
                                }
                            )
                            for rule in section.rules
                        ),
                    }
                )
                for section in pack.sections
            ),
        }
    )


def frontmatter_lines(text: str) -> list[str] | None:
    """The lines between the opening and closing ``---`` of a file, or ``None``."""
    if not text.startswith("---\n"):
        return None
    lines = text.split("\n")
    return lines[1 : lines.index("---", 1)]


def lenient_keys(lines: list[str]) -> list[str]:
    """Top-level keys as a line reader sees them (Cursor and Windsurf write unquoted globs)."""
    return [line.split(":", 1)[0] for line in lines if line and line[0] not in " \t-#"]


def strict_yaml(lines: list[str]) -> dict[str, object] | None:
    """The frontmatter as a YAML reader sees it, or ``None`` if it is not strict YAML."""
    try:
        data = YAML(typ="safe", pure=True).load("\n".join(lines))
    except YAMLError:
        return None
    assert isinstance(data, dict)
    return data


def rendered(pack: Pack, profile: Profile) -> dict[str, tuple[str, str]]:
    """``path -> (target id, text)`` of every file of every target (owned and block bodies)."""
    files = {}
    for target in TARGETS:
        for file in render_target(pack, target, profile).files:
            files[file.path] = (target.id, file.text)
    return files


@given(pack=packs(), profile=st.sampled_from([Profile.FULL, Profile.COMPACT]))
@PROPERTY_SETTINGS
def test_every_target_renders_with_intact_structure(pack: Pack, profile: Profile) -> None:
    files = rendered(pack, profile)
    plain = rendered(tame(pack), profile)
    assert set(files) == set(plain)
    for path, (target, text) in files.items():
        lines = text.split("\n")
        assert "\r" not in text, path
        assert not MARKERS.intersection(lines), (target, path)
        meta, tame_meta = frontmatter_lines(text), frontmatter_lines(plain[path][1])
        if tame_meta is None:
            assert meta is None, path
            continue
        assert meta is not None, path
        assert lenient_keys(meta) == lenient_keys(tame_meta), (path, meta)
        tame_data = strict_yaml(tame_meta)
        if tame_data is not None:  # where the format is YAML, hostile text keeps it YAML
            data = strict_yaml(meta)
            assert data is not None, (path, meta)
            assert list(data) == list(tame_data), (path, data)
            for key, value in tame_data.items():
                assert type(data[key]) is type(value), (path, key, data[key])
    config = {path: text for path, (_, text) in files.items()}
    assert json.loads(config[".rulepack/pack.json"])["pack"] == PACK_ID
    if sys.version_info >= (3, 11):
        ruff = tomllib.loads(config[".rulepack/ruff.toml"])
        checked = any(rule.checks for rule in pack.rules())
        assert set(ruff["lint"]["select"]) == ({"E722"} if checked else set())
    mypy = ConfigParser()
    mypy.read_string(config[".rulepack/mypy.ini"])
    assert mypy.has_section("mypy")


# --- install and uninstall around arbitrary user text ---------------------------------------

USER_TEXT = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
        st.sampled_from(
            [
                "\r\n",
                "\r",
                "\n",
                "\n\n",
                "<!-- rulepack:begin other -->\n",
                f" {HTML_END}\n",
                f"{HTML_END} \n",
                "# rulepack:end prop\n",
                "---\n",
                "\u2028",
                "🎉",
            ]
        ),
    ),
    max_size=12,
).map("".join)

BLOCK_FILES = ("AGENTS.md", "CLAUDE.md", "GEMINI.md", ".github/copilot-instructions.md")
INSTALLED = ("agents-md", "claude", "gemini", "copilot", "cursor", "aider")


def has_marker_line(text: str) -> bool:
    return any(line.removesuffix("\r") in MARKERS for line in text.split("\n"))


@contextmanager
def project_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        path.relative_to(root).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


@given(
    pack=packs(),
    user=st.fixed_dictionaries(dict.fromkeys(BLOCK_FILES, USER_TEXT)),
)
@PROPERTY_SETTINGS
def test_install_then_uninstall_restores_user_files(pack: Pack, user: dict[str, str]) -> None:
    assume(not any(has_marker_line(text) for text in user.values()))
    bodies = {
        file.path: file.text
        for target in TARGETS
        if target.id in INSTALLED
        for file in render_target(pack, target, Profile.FULL).files
        if file.mode is WriteMode.BLOCK
    }
    with project_dir() as project:
        for name, text in user.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_bytes(text.encode("utf-8"))
        before = tree(project)
        apply_plan(plan_install(project, pack, INSTALLED, Profile.FULL))
        for name, text in user.items():
            installed = (project / name).read_bytes().decode("utf-8")
            assert installed.startswith(text)
            assert find_block(installed, HTML_BEGIN, HTML_END, name) is not None
            assert block_body(installed, HTML_BEGIN, HTML_END, name) == bodies[name]
        assert plan_install(project, pack, INSTALLED, Profile.FULL).is_noop
        apply_plan(plan_uninstall(project))
        assert tree(project) == before


# --- examples the properties once found -----------------------------------------------------


def small_pack(*, section_title: str = "Web", description: str | None = "Plain.") -> Pack:
    rule = Rule(
        id="WEB001",
        title="Title",
        severity=Severity.WARNING,
        guidance="Guidance.",
        rationale="Rationale.",
        source=("s",),
        applies_to=("**/*.py",),
        tags=("t",),
        review="Review?",
    )
    sections = (
        Section(
            id="web", prefix="WEB", title=section_title, description=description, rules=(rule,)
        ),
    )
    return Pack(id=PACK_ID, version="1.0.0", title="Pack", sections=sections)


def test_installer_keeps_the_block_whole_when_the_text_holds_a_marker() -> None:
    # The renderer lets a section description through as an exact marker line (below); the
    # installer must still write a block that it can find, replace and remove.
    pack = small_pack(description=HTML_END)
    with project_dir() as project:
        (project / "AGENTS.md").write_bytes(b"mine\r\n")
        apply_plan(plan_install(project, pack, ("agents-md",), Profile.FULL))
        text = (project / "AGENTS.md").read_text()
        assert text.split("\n").count(HTML_END) == 1
        assert plan_install(project, pack, ("agents-md",), Profile.FULL).is_noop
        apply_plan(plan_uninstall(project))
        assert (project / "AGENTS.md").read_bytes() == b"mine\r\n"


def test_section_description_that_is_a_marker_is_not_a_marker_line() -> None:
    for marker in (HTML_BEGIN, HTML_END):
        text = render_target(
            small_pack(description=marker), TARGETS_BY_ID["agents-md"], Profile.FULL
        )
        assert marker not in text.files[0].text.split("\n")


@pytest.mark.parametrize("target_id", ["cursor", "copilot", "continue", "augment"])
def test_frontmatter_escapes_characters_yaml_cannot_hold(target_id: str) -> None:
    pack = small_pack(section_title="Web\x7f", description="0 \x1b \x7f")
    checked = 0
    for file in render_target(pack, TARGETS_BY_ID[target_id], Profile.FULL).files:
        lines = frontmatter_lines(file.text)
        if lines is None:  # copilot-instructions.md carries no frontmatter
            continue
        checked += 1
        if target_id == "cursor":  # Cursor's globs are unquoted by design; the rest is YAML
            lines = [line for line in lines if not line.startswith("globs:")]
        assert strict_yaml(lines) is not None, lines
    assert checked >= 1


def test_ruff_fragment_survives_a_multi_line_title() -> None:
    rule = (
        small_pack()
        .sections[0]
        .rules[0]
        .model_copy(
            update={
                "title": "Catch\nspecific = exceptions",
                "checks": CHECKS[:1],
                "examples": TAME_EXAMPLES,
            }
        )
    )
    section = small_pack().sections[0].model_copy(update={"rules": (rule,)})
    pack = small_pack().model_copy(update={"sections": (section,)})
    text = render_target(pack, TARGETS_BY_ID["ruff"], Profile.FULL).files[0].text
    assert tomllib.loads(text)["lint"]["select"] == ["E722"]


# --- .aider.conf.yml: rulepack edits only the `read` key ------------------------------------

AIDER = TARGETS_BY_ID["aider"].merges[0]


@st.composite
def aider_configs(draw: st.DrawFn) -> tuple[str, str, str, list[str]]:
    """``(before, read part, after, read values)`` of a hand-written .aider.conf.yml."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    spaces = st.sampled_from(["", " ", "   "])
    comment = st.sampled_from(["", "  # mine", " #x", "   # ünïcödé 🎉"])

    def other(key: str) -> str:
        value = draw(st.sampled_from(["gpt-4o", "true", "'quoted: yes'", '"a b"', "3"]))
        return f"{key}:{draw(spaces)} {value}{draw(comment)}{newline}"

    keys = [
        other(key) for key in draw(st.lists(st.sampled_from(["model", "lint", "x-y"]), unique=True))
    ]
    extra = st.sampled_from(
        ["", newline, f"# a comment{newline}", f"{newline}# c{newline}{newline}"]
    )
    values = draw(
        st.lists(
            st.sampled_from(["NOTES.md", "docs/a b.md", "x.md", "CONVENTIONS.md"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    style = draw(st.sampled_from(["scalar", "flow", "block"]))
    if style == "scalar":
        values = values[:1]
        read = f"read:{draw(spaces)} {json.dumps(values[0])}{draw(comment)}{newline}"
    elif style == "flow":
        read = f"read: [{', '.join(json.dumps(v) for v in values)}]{draw(comment)}{newline}"
    else:
        indent = draw(st.sampled_from(["", "  ", "    "]))
        items = "".join(f"{indent}- {json.dumps(v)}{draw(comment)}{newline}" for v in values)
        read = f"read:{draw(comment)}{newline}{items}"
    at = draw(st.integers(0, len(keys)))
    before = draw(extra) + "".join(keys[:at])
    after = "".join(keys[at:]) + draw(extra)
    if not after and draw(st.booleans()):
        read = read.removesuffix(newline)  # the file ends without a newline
    return before, read, after, values


@given(config=aider_configs())
@PROPERTY_SETTINGS
def test_aider_merge_edits_only_the_read_key(config: tuple[str, str, str, list[str]]) -> None:
    before, read, after, values = config
    text = before + read + after
    original = YAML(typ="safe").load(text)
    result = merge_yaml(text, AIDER, PACK_ID)
    merged = YAML(typ="safe").load(result.text)
    if "CONVENTIONS.md" in values:
        assert result.text == text
        return
    assert merged["read"] == [*values, "CONVENTIONS.md"]
    assert {k: v for k, v in merged.items() if k != "read"} == {
        k: v for k, v in original.items() if k != "read"
    }
    assert result.text.startswith(before)
    assert result.text.endswith(after)
    if "\r\n" in text:
        assert "\n" not in result.text.replace("\r\n", "")
    if result.added:
        restored = YAML(typ="safe").load(unmerge_yaml(result.text, AIDER, result.added))
        assert restored["read"] in (values, values[0])
