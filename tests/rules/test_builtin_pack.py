"""The built-in FastAPI pack: complete against its source, consistent, and its examples honest."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from rulepack.rules.loader import PACKS_DIR, LoadResult, ToolCatalogues, load
from rulepack.rules.model import Rule
from rulepack.rules.source_doc import ItemKind, parse_source_document
from rulepack.rules.tool_codes import ruff_binary

PACK_DIR = PACKS_DIR / "fastapi"
SHARED_SOURCE = (
    Path(__file__).resolve().parents[3] / "shared" / "source" / "fastapi-ai-coding-rules.md"
)


@pytest.fixture(scope="module")
def loaded() -> LoadResult:
    return load(PACK_DIR, ToolCatalogues.installed())


def test_source_document_has_all_142_bullets_and_4_code_blocks() -> None:
    items = parse_source_document((PACK_DIR / "source.md").read_text())
    kinds = Counter(item.kind for item in items)
    assert kinds[ItemKind.BULLET] == 142
    assert {item.text for item in items if item.kind is ItemKind.CODE} == {
        "Project Structure",
        "Common Patterns / Dependency Injection",
        "Common Patterns / Error Handling",
        "Common Patterns / Authentication",
    }


@pytest.mark.skipif(not SHARED_SOURCE.is_file(), reason="../shared is not beside this checkout")
def test_bundled_source_is_the_shared_source() -> None:
    assert (PACK_DIR / "source.md").read_bytes() == SHARED_SOURCE.read_bytes()


def test_every_bullet_and_code_block_of_the_source_is_cited(loaded: LoadResult) -> None:
    assert [item.text for item in loaded.uncovered] == []
    assert len(loaded.source_items) == 146


def test_sections_follow_design_prefixes(loaded: LoadResult) -> None:
    prefixes = [section.prefix for section in loaded.pack.sections]
    assert sorted(prefixes) == sorted(
        [
            "STY",
            "NAM",
            "TYP",
            "FAS",
            "API",
            "ERR",
            "DBS",
            "PYD",
            "SEC",
            "ASY",
            "PRF",
            "TST",
            "DOC",
            "QLT",
            "PRJ",
            "CNV",
            "DEP",
        ]
    )


def test_rule_ids_are_numbered_densely_per_section(loaded: LoadResult) -> None:
    for section in loaded.pack.sections:
        numbers = [int(rule.id[3:]) for rule in section.rules]
        assert numbers == list(range(1, len(numbers) + 1)), section.id


def sentences(text: str) -> int:
    prose = re.sub(r"`[^`]*`", "code", text)
    prose = re.sub(r"\b(e\.g|i\.e|etc|vs)\.", "x", prose)
    return len(re.findall(r"[.!?](?:\s|$)", prose.strip())) or 1


def test_guidance_is_one_or_two_imperative_sentences(loaded: LoadResult) -> None:
    too_long = [rule.id for rule in loaded.pack.rules() if sentences(rule.guidance) > 2]
    assert too_long == []


def test_a_tool_code_or_check_belongs_to_one_rule(loaded: LoadResult) -> None:
    owners: dict[str, list[str]] = {}
    for rule in loaded.pack.rules():
        for key in (*rule.ruff_codes, *rule.mypy_codes, *rule.custom_checks):
            owners.setdefault(key, []).append(rule.id)
    shared = {key: ids for key, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_outdated_source_advice_is_modernised(loaded: LoadResult) -> None:
    """Catalogue §2.2: each outdated bullet is cited by a rule that says what changed."""
    outdated = {
        "Use Optional[Type] for nullable values": "| None",
        "Use Generic types from typing module (List, Dict, Set, Tuple, etc.)": "list[",
        "Implement Config class for ORM mode and other settings": "model_config",
        "Use password hashing with bcrypt or passlib": "pwdlib",
        "Implement JWT authentication with python-jose": "PyJWT",
        "Implement dependency injection using Depends()": "Annotated",
    }
    for bullet, modern in outdated.items():
        rules = [rule for rule in loaded.pack.rules() if bullet in rule.source]
        assert rules, bullet
        rule = rules[0]
        assert rule.deviation is not None, rule.id
        assert modern in rule.guidance + rule.deviation, rule.id


def ruff_hits(rules: list[Rule], tmp_path: Path) -> dict[tuple[str, int], set[str]]:
    """Run ruff once over every Python example of ``rules``; return codes per (rule, example)."""
    paths: dict[Path, tuple[str, int]] = {}
    codes: set[str] = set()
    for rule in rules:
        codes.update(rule.ruff_codes)
        for number, example in enumerate(rule.examples):
            if example.is_python:
                path = tmp_path / rule.id / str(number) / example.path
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(example.code)
                paths[path] = (rule.id, number)
    command = [
        ruff_binary(),
        "check",
        "--isolated",
        "--no-cache",
        "--ignore-noqa",
        "--preview",
        "--target-version",
        "py310",
        "--exit-zero",
        "--output-format",
        "json",
        "--select",
        ",".join(sorted(codes)),
        *map(str, paths),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    hits: dict[tuple[str, int], set[str]] = {key: set() for key in paths.values()}
    for finding in json.loads(output):
        hits[paths[Path(finding["filename"])]].add(finding["code"])
    return hits


def test_ruff_bound_examples_behave(loaded: LoadResult, tmp_path: Path) -> None:
    """A bad example triggers one of its rule's ruff codes; a good example triggers none.

    Rules bound to custom checks as well may rely on those for their bad examples; their good
    examples must still be clean for ruff.
    """
    rules = [rule for rule in loaded.pack.rules() if rule.ruff_codes]
    assert len(rules) >= 20
    hits = ruff_hits(rules, tmp_path)
    wrong: list[str] = []
    for rule in rules:
        ruff_only = not rule.custom_checks and not rule.mypy_codes
        for number, example in enumerate(rule.examples):
            if not example.is_python:
                continue
            own = hits[(rule.id, number)] & set(rule.ruff_codes)
            if example.kind == "good" and own:
                wrong.append(f"{rule.id} good example {number} triggers {sorted(own)}")
            if example.kind == "bad" and ruff_only and not own:
                wrong.append(f"{rule.id} bad example {number} triggers none of {rule.ruff_codes}")
    assert wrong == []
