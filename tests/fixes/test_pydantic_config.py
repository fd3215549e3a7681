"""``class Config`` becomes ``model_config = ConfigDict(...)`` when each key has a v2 equivalent."""

from __future__ import annotations

import pytest

from rulepack.fixes import FixKind
from rulepack.fixes.pydantic_config import pydantic_v1_pin
from rulepack.rules.model import Pack
from tests.fixes.conftest import FixFiles, assert_idempotent

ONLY = ("PYD005",)  # the rule that binds pydantic-v1-api and no ruff code


def test_renamed_keys_comments_and_docstring(fix_files: FixFiles, pack: Pack) -> None:
    source = '''from pydantic import BaseModel, Extra


class Base(BaseModel):
    """Base."""

    id: int

    # configuration
    class Config:  # v1 style
        """Shared config."""

        orm_mode = True  # read ORM objects
        # names or aliases
        allow_population_by_field_name = True
        extra = Extra.forbid
        allow_mutation = False
        schema_extra = {
            "example": {"id": 1},  # example
            "text": """a
  b""",
        }
'''
    run = fix_files({"app/schemas.py": source}, ONLY)
    assert (
        run["app/schemas.py"]
        == '''from pydantic import BaseModel, Extra, ConfigDict


class Base(BaseModel):
    """Base."""

    id: int

    # configuration
    # v1 style
    model_config = ConfigDict(
        # Shared config.
        from_attributes=True,  # read ORM objects
        # names or aliases
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "example": {"id": 1},  # example
            "text": """a
  b""",
        },
    )
'''
    )
    assert run.count(FixKind.MODEL_CONFIG) == 1
    assert_idempotent(pack, run)


def test_short_config_on_one_line_and_subclass_in_another_module(
    fix_files: FixFiles, pack: Pack
) -> None:
    files = {
        "app/base.py": (
            "from pydantic import BaseModel as Model\n\n\nclass Base(Model):\n    pass\n"
        ),
        "app/user.py": (
            "from pydantic import ConfigDict as CD\n\nfrom app.base import Base\n\n\n"
            "class User(Base):\n    name: str\n\n"
            "    class Config:\n        anystr_strip_whitespace = True; validate_all = True\n\n"
            "    def greet(self) -> str:\n        return self.name\n"
        ),
        "app/tag.py": (
            "import pydantic\n\n\nclass Tag(pydantic.BaseModel):\n"
            "    class Config: orm_mode = True\n"
        ),
    }
    run = fix_files(files, ONLY)
    assert run["app/user.py"] == (
        "from pydantic import ConfigDict as CD\n\nfrom app.base import Base\n\n\n"
        "class User(Base):\n    name: str\n\n"
        "    model_config = CD(str_strip_whitespace=True, validate_default=True)\n\n"
        "    def greet(self) -> str:\n        return self.name\n"
    )
    assert run["app/tag.py"] == (
        "import pydantic\nfrom pydantic import ConfigDict\n\n\n"
        "class Tag(pydantic.BaseModel):\n    model_config = ConfigDict(from_attributes=True)\n"
    )
    assert_idempotent(pack, run)


def test_settings_get_settings_config_dict(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    database_url: str\n\n"
        '    class Config:\n        env_file = ".env"\n        env_prefix = "APP_"\n'
        "        case_sensitive = False\n"
    )
    run = fix_files({"app/config.py": source}, ONLY)
    assert run["app/config.py"] == (
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        "class Settings(BaseSettings):\n    database_url: str\n\n"
        "    model_config = SettingsConfigDict(\n"
        '        env_file=".env",\n        env_prefix="APP_",\n        case_sensitive=False,\n'
        "    )\n"
    )  # over 88 characters on one line
    assert_idempotent(pack, run)


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("        fields = {'x': 'y'}\n", "`fields` has no ConfigDict equivalent"),
        ("        allow_mutation = flag\n", "`allow_mutation` is not a literal True/False"),
        ("        smart_union = False\n", "`smart_union` other than True has no v2 equivalent"),
        ("        schema_extra = build_example\n", "`schema_extra` is not a dict literal"),
        ("        extra = policy\n", "`extra` is neither a string nor an `Extra` member"),
        (
            "        @staticmethod\n        def schema_extra(schema: dict) -> None:\n"
            "            pass\n",
            "`class Config` holds a function statement",
        ),
        ("        a = True\n        orm_mode = a\n", "a value refers to another name"),
    ],
)
def test_unsafe_configs_are_kept_and_reported(
    fix_files: FixFiles, config: str, reason: str
) -> None:
    source = (
        "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str\n\n"
        f"    class Config:\n{config}"
    )
    run = fix_files({"app/item.py": source}, ONLY)
    assert run["app/item.py"] == source
    assert len(run.notes) == 1
    assert run.notes[0].startswith("app/item.py:7: `class Config` kept: ")
    assert reason in run.notes[0]


def test_models_that_must_keep_class_config(fix_files: FixFiles) -> None:
    files = {
        "app/legacy.py": (
            "from pydantic.v1 import BaseModel\n\n\n"
            "class Legacy(BaseModel):\n    class Config:\n        orm_mode = True\n"
        ),
        "app/both.py": (
            "from pydantic import BaseModel\n\n\nclass Both(BaseModel):\n"
            '    model_config = {"frozen": True}\n\n    class Config:\n        orm_mode = True\n'
        ),
        "app/plain.py": "class Plain:\n    class Config:\n        orm_mode = True\n",
    }
    run = fix_files(files, ONLY)
    assert run.after == files
    assert sorted(run.notes) == [
        "app/both.py:7: `class Config` kept: the class also sets `model_config`",
        "app/legacy.py:5: `class Config` kept: a `pydantic.v1` model needs its `class Config`",
    ]


def test_config_dict_name_taken(fix_files: FixFiles) -> None:
    source = (
        "from pydantic import BaseModel\n\nConfigDict = dict\n\n\n"
        "class Item(BaseModel):\n    class Config:\n        orm_mode = True\n"
    )
    run = fix_files({"app/item.py": source}, ONLY)
    assert run["app/item.py"] == source
    assert "the name `ConfigDict` is already used" in run.notes[0]


@pytest.mark.parametrize(
    ("files", "pinned"),
    [
        ({"requirements.txt": "fastapi\npydantic==1.10.13\n"}, "requirements.txt"),
        ({"requirements/base.txt": "pydantic>=1.8,<2\n"}, "requirements/base.txt"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npydantic = "^1.10"\n'}, "pyproject.toml"),
        ({"requirements.txt": "pydantic[email]<2.0\n"}, "requirements.txt"),
        ({"requirements.txt": "pydantic>=2.5,<2.10\npydantic-settings\n"}, None),
        ({"requirements.txt": "pydantic==2.7.1\n"}, None),
        ({"pyproject.toml": 'dependencies = ["pydantic>=2", "httpx<2"]\n'}, None),
        ({"README.md": "pydantic==1.10 was used before\n"}, None),
    ],
)
def test_pydantic_v1_pins(files: dict[str, str], pinned: str | None) -> None:
    assert pydantic_v1_pin(files) == pinned


def test_a_v1_pinned_project_is_left_alone(fix_files: FixFiles) -> None:
    model = (
        "from pydantic import BaseModel\n\n\n"
        "class M(BaseModel):\n    class Config:\n        orm_mode = True\n"
    )
    run = fix_files({"app/m.py": model, "requirements.txt": "pydantic<2\n"}, ONLY)
    assert run["app/m.py"] == model
    assert run.notes == ["app/m.py:5: `class Config` kept: requirements.txt pins Pydantic 1"]
