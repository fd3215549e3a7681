"""The project's own Python version and layout settings in ruff, read as whitelisted data only."""

from __future__ import annotations

import dataclasses
import sys
from functools import cache
from pathlib import Path

from rulepack.evaluator.bindings import Bindings, ruff_config
from rulepack.evaluator.engine import EvalOptions, evaluate, ruff_groups, ruff_hits
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.results import RuleStatus
from rulepack.evaluator.samples import Sample, directory_sample
from rulepack.evaluator.tool_settings import (
    DEFAULT_SETTINGS,
    project_tool_settings,
    sample_tool_settings,
)
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack
from rulepack.rules.tool_codes import RuffCatalogue

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

LONG_LINE = f"VALUE = [{', '.join(['1000000'] * 11)}]\n"  # 107 characters: over 88, under 120
UNSORTED = '"""Imports."""\n\nimport os\n\nimport fastapi\n\nimport mylib\n\nprint(os, mylib)\n'
WIDE = "[tool.ruff]\nline-length = 120\n"
FIRST_PARTY = '[tool.ruff.lint.isort]\nknown-first-party = ["mylib"]\n'


@cache
def pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


@cache
def catalogue() -> RuffCatalogue:
    return RuffCatalogue.installed()


def only_ruff(*codes: str) -> Bindings:
    return Bindings((), dict.fromkeys(codes, "X001"), {}, {}, (), {})


def sample(root: Path, files: dict[str, str], python: PythonVersion | None = None) -> Sample:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    found = directory_sample(root)
    return dataclasses.replace(found, python=python) if python is not None else found


def codes_by_sample(tmp_path: Path, samples: list[Sample], *codes: str) -> dict[str, set[str]]:
    hits, errors = ruff_hits(samples, only_ruff(*codes), catalogue(), tmp_path, 60.0)
    assert errors == {}
    found: dict[str, set[str]] = {s.name: set() for s in samples}
    for hit in hits:
        found[hit.sample].add(hit.code)
    return found


# --- reading the settings ----------------------------------------------------------------------


def test_whitelisted_keys_are_read_and_everything_else_is_not() -> None:
    settings = project_tool_settings(
        """
        [tool.ruff]
        line-length = 120
        indent-width = "wide"
        extend = "/etc/x.toml"
        src = ["/"]
        [tool.ruff.lint]
        select = ["ALL"]
        ignore = ["I001"]
        per-file-ignores = {"*" = ["ALL"]}
        [tool.ruff.lint.isort]
        known-first-party = ["mylib", "pkg.*"]
        combine-as-imports = true
        section-order = ["future", "made-up"]
        lines-after-imports = 2
        required-imports = ["import os"]
        [tool.ruff.format]
        quote-style = "single"
        line-ending = "sideways"
        """.replace("        ", ""),
        None,
    )
    assert settings.line_length == 120
    assert settings.indent_width is None  # not an int: ruff's default
    assert settings.toml_lines() == ["line-length = 120"]
    assert settings.isort.toml_lines() == [
        "combine-as-imports = true",
        'known-first-party = ["mylib", "pkg.*"]',
        "lines-after-imports = 2",
    ]
    assert settings.format.toml_lines() == ['quote-style = "single"']


def test_module_patterns_that_could_be_paths_or_escapes_are_dropped() -> None:
    text = '[tool.ruff.lint.isort]\nknown-first-party = ["../etc", "a\\"\\nselect=[]"]\n'
    assert project_tool_settings(text, None).isort.known_first_party is None


def test_ruff_files_win_over_pyproject_as_ruff_decides() -> None:
    texts = {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "ruff.toml": "line-length = 110\n",
        ".ruff.toml": "line-length = 120\n",
    }
    assert sample_tool_settings(texts).line_length == 120
    del texts[".ruff.toml"]
    assert sample_tool_settings(texts).line_length == 110
    del texts["ruff.toml"]
    assert sample_tool_settings(texts).line_length == 100
    assert sample_tool_settings({"app/pyproject.toml": "[tool.ruff]\nline-length = 99\n"}) == (
        DEFAULT_SETTINGS
    )


def test_the_nearest_ruff_table_above_the_root_counts_when_the_root_has_none() -> None:
    above = {
        "../../pyproject.toml": "[tool.ruff]\nline-length = 140\n",
        "../pyproject.toml": "[tool.ruff]\nline-length = 130\n",
    }
    member = {"pyproject.toml": '[project]\nname = "api"\n'}
    assert sample_tool_settings(member, above).line_length == 130  # nearest first, as ruff does
    no_table_nearest = {**above, "../pyproject.toml": '[project]\nname = "ws"\n'}
    assert sample_tool_settings(member, no_table_nearest).line_length == 140
    own = {"pyproject.toml": "[tool.ruff]\nline-length = 90\n"}
    assert sample_tool_settings(own, above).line_length == 90  # the root's own table wins


def test_black_and_isort_tables_fill_in_what_ruff_leaves_unsaid() -> None:
    text = (
        "[tool.black]\nline-length = 100\nskip-string-normalization = true\n"
        '[tool.isort]\nprofile = "black"\nknown_first_party = ["mylib"]\nline_length = 60\n'
    )
    settings = project_tool_settings(text, None)
    assert settings.line_length == 100  # isort's line_length does not set the formatter's
    assert settings.isort.known_first_party == ("mylib",)
    assert settings.format.quote_style == "preserve"
    with_ruff = project_tool_settings(text + "[tool.ruff]\nline-length = 90\n", None)
    assert with_ruff.line_length == 90


def test_text_that_is_not_toml_gives_ruffs_defaults() -> None:
    assert project_tool_settings("[tool.ruff\nline-length = 1", "= broken") == DEFAULT_SETTINGS
    assert project_tool_settings(None, None) == DEFAULT_SETTINGS


def test_the_generated_config_is_valid_toml_with_version_and_settings() -> None:
    settings = project_tool_settings(WIDE + FIRST_PARTY, None)
    text = ruff_config(only_ruff("I001"), catalogue(), (), PythonVersion(3, 12), settings)
    config = tomllib.loads(text)
    assert config["target-version"] == "py312"
    assert config["line-length"] == 120
    assert config["lint"]["isort"] == {"known-first-party": ["mylib"]}
    assert config["lint"]["select"] == ["I001"]


# --- ruff with the settings --------------------------------------------------------------------


def test_the_projects_line_length_decides_e501(tmp_path: Path) -> None:
    wide = sample(tmp_path / "wide", {"app/a.py": LONG_LINE, "pyproject.toml": WIDE})
    default = sample(tmp_path / "default", {"app/a.py": LONG_LINE})
    found = codes_by_sample(tmp_path, [wide, default], "E501")
    assert found == {"wide": set(), "default": {"E501"}}


def test_known_first_party_decides_i001(tmp_path: Path) -> None:
    told = sample(tmp_path / "told", {"app/a.py": UNSORTED, "pyproject.toml": FIRST_PARTY})
    untold = sample(tmp_path / "untold", {"app/a.py": UNSORTED})
    assert codes_by_sample(tmp_path, [told, untold], "I001") == {"told": set(), "untold": {"I001"}}


def test_the_trees_select_ignore_and_extend_are_never_honoured(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.toml").write_text("line-length = 200\n")
    config = (
        f'[tool.ruff]\nextend = "{tmp_path / "elsewhere.toml"}"\n'
        '[tool.ruff.lint]\nselect = ["F"]\nignore = ["E501", "I001"]\n'
        'per-file-ignores = {"*.py" = ["ALL"]}\n'
    )
    root = sample(
        tmp_path / "s", {"app/a.py": LONG_LINE, "app/b.py": UNSORTED, "pyproject.toml": config}
    )
    assert codes_by_sample(tmp_path, [root], "E501", "I001") == {"s": {"E501", "I001"}}


def test_each_sample_is_linted_for_its_own_python(tmp_path: Path) -> None:
    code = "import datetime\n\nNOW = datetime.datetime.now(tz=datetime.timezone.utc)\n"
    old = sample(tmp_path / "old", {"app/a.py": code}, PythonVersion(3, 10))
    new = sample(tmp_path / "new", {"app/a.py": code}, PythonVersion(3, 12))
    assert len(ruff_groups([old, new])) == 2
    assert codes_by_sample(tmp_path, [old, new], "UP017") == {"old": set(), "new": {"UP017"}}


def test_samples_with_one_configuration_share_one_ruff_run(tmp_path: Path) -> None:
    first = sample(tmp_path / "a", {"app/a.py": LONG_LINE, "pyproject.toml": WIDE})
    second = sample(tmp_path / "b", {"app/b.py": LONG_LINE, "ruff.toml": "line-length = 120\n"})
    third = sample(tmp_path / "c", {"app/c.py": LONG_LINE})
    groups = ruff_groups([first, second, third])
    assert [[s.name for s in group] for group in groups.values()] == [["a", "b"], ["c"]]


def test_ruff_format_uses_the_projects_line_length(tmp_path: Path) -> None:
    wide = sample(tmp_path / "wide", {"app/a.py": LONG_LINE, "pyproject.toml": WIDE})
    default = sample(tmp_path / "default", {"app/a.py": LONG_LINE})
    options = EvalOptions(cache_dir=tmp_path / "cache", use_cache=False, use_mypy=False)
    report = evaluate(pack(), [wide, default], dataclasses.replace(options, select=["QLT002"]))
    statuses = {s.name: s.rules[0].status for s in report.samples}
    assert statuses == {"wide": RuleStatus.PASSED, "default": RuleStatus.FAILED}
