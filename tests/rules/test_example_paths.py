"""An example's ``path`` and ``context`` keys stay inside the example's directory.

``rulepack validate --examples`` writes examples to disk and type-checks them, so a key that is
absolute or climbs out with ``..`` is refused as bad input (``path:line: message``, exit 2) before
anything is written, and examples are checked under the evaluator's guarantees: a ``context`` file
named like a standard-library module is never imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rulepack.cli import main
from rulepack.rules.model import Example

BAD_EXAMPLE = """        path: app/routers/users.py
      - good: |
          router = APIRouter(prefix="/api/v1/users")"""


def validate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``rulepack validate`` as the console script does: exit code and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(["validate", *args])
    code = exited.value.code if isinstance(exited.value.code, int) else 0
    return code, capsys.readouterr().err


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def set_bad_example(section: Path, replacement: str) -> None:
    text = section.read_text()
    assert BAD_EXAMPLE in text
    section.write_text(text.replace(BAD_EXAMPLE, replacement, 1))


@pytest.mark.parametrize(
    "path", ["../../escaped.py", "/var/rulepack-escaped.py", "app/../../escaped.py", "C:/x.py"]
)
def test_validate_refuses_an_example_path_outside_the_example(
    mini_pack: Path, tmp_path: Path, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    section = mini_pack / "web.yaml"
    set_bad_example(section, BAD_EXAMPLE.replace("app/routers/users.py", path, 1))
    code, err = validate([str(mini_pack), "--examples"], capsys)
    assert code == 2
    line = line_of(section, path)
    assert err.startswith(f"error: {section}:{line}: rule WEB001: path: {path!r}")
    assert "Traceback" not in err
    assert not (tmp_path / "escaped.py").exists()
    assert not Path("/var/rulepack-escaped.py").exists()


def test_validate_refuses_a_context_key_outside_the_example(
    mini_pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section = mini_pack / "web.yaml"
    escaping = '        context:\n          "../../../conftest.py": "X = 1\\n"\n'
    set_bad_example(section, escaping + BAD_EXAMPLE)
    code, err = validate([str(mini_pack)], capsys)
    assert code == 2
    line = line_of(section, "context:")
    message = "context: '../../../conftest.py' must not contain '..'"
    assert err.startswith(f"error: {section}:{line}: rule WEB001: {message}")


def test_a_context_module_shadowing_the_stdlib_is_never_imported(
    mini_pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "context-imported"
    code = f"open({str(marker)!r}, 'w').write('x')"
    context = "        context:\n" + "".join(
        f'          {name}: "{code}\\n"\n' for name in ("typing.py", "json.py")
    )
    set_bad_example(mini_pack / "web.yaml", context + BAD_EXAMPLE)
    code, err = validate([str(mini_pack), "--examples"], capsys)
    assert not marker.exists(), err
    # mypy was started on the example and refused the shadowing module: a reported failure.
    assert code == 1
    assert "could not be type-checked: mypy exited 2: typing.py: This file shadows" in err


def test_paths_inside_the_example_are_kept_and_normalised() -> None:
    assert Example(bad="x = 1", path="./app/main.py").path == "app/main.py"
    assert Example(bad="tree", path=".").path == "."
    example = Example(good="x = 1", context={"app/core/config.py": "X = 1\n"})
    assert list(example.context) == ["app/core/config.py"]
