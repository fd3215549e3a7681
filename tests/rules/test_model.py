"""The rule model accepts what DESIGN.md describes and refuses everything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rulepack.rules.model import (
    CustomBinding,
    Example,
    MypyBinding,
    Pack,
    PackFile,
    Parameter,
    RuffBinding,
    Rule,
    Section,
    SectionFile,
    Severity,
    expand_params,
    referenced_params,
)


def rule_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "SEC004",
        "title": "Restrict CORS to known origins",
        "severity": "error",
        "guidance": "Configure CORSMiddleware with an explicit origin list.",
        "rationale": "A wildcard lets any site call the API.",
        "source": ["Enable CORS with specific origins using CORSMiddleware"],
        "applies_to": ["**/*.py"],
        "tags": ["security"],
        "checks": [{"custom": "cors-wildcard"}],
        "examples": [{"bad": "allow_origins=['*']"}, {"good": "allow_origins=ORIGINS"}],
    }
    data.update(overrides)
    return data


def test_rule_from_design_example() -> None:
    rule = Rule.model_validate(rule_data())
    assert rule.severity is Severity.ERROR
    assert rule.effective_weight == 3.0
    assert rule.checkable
    assert rule.custom_checks == ("cors-wildcard",)
    assert [e.kind for e in rule.examples] == ["bad", "good"]


def test_weight_overrides_severity() -> None:
    assert Rule.model_validate(rule_data(weight=5)).effective_weight == 5.0
    with pytest.raises(ValidationError):
        Rule.model_validate(rule_data(weight=0))


@pytest.mark.parametrize(
    ("binding", "kind"),
    [
        ({"ruff": ["S104", "S105"]}, RuffBinding),
        ({"mypy": ["no-untyped-def"], "flags": ["disallow_untyped_defs"]}, MypyBinding),
        ({"custom": "cors-wildcard"}, CustomBinding),
    ],
)
def test_check_binding_kinds(binding: dict[str, Any], kind: type) -> None:
    rule = Rule.model_validate(rule_data(checks=[binding]))
    assert isinstance(rule.checks[0], kind)


@pytest.mark.parametrize(
    "binding",
    [
        {"rufff": ["S104"]},
        {"ruff": []},
        {"ruff": ["s104"]},
        {"custom": "Cors_Wildcard"},
        {"mypy": ["NoUntypedDef"]},
        {"custom": "cors-wildcard", "extra": 1},
    ],
)
def test_bad_check_bindings_are_refused(binding: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Rule.model_validate(rule_data(checks=[binding]))


def test_rule_needs_checks_or_review() -> None:
    with pytest.raises(ValidationError, match="needs 'checks' or a 'review'"):
        Rule.model_validate(rule_data(checks=[], examples=[]))
    reviewed = Rule.model_validate(rule_data(checks=[], examples=[], review="Is it minimal?"))
    assert not reviewed.checkable


def test_checkable_rule_needs_bad_and_good_examples() -> None:
    with pytest.raises(ValidationError, match="at least one good example"):
        Rule.model_validate(rule_data(examples=[{"bad": "x = 1"}]))


def test_example_has_exactly_one_kind() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Example.model_validate({"bad": "a", "good": "b"})
    with pytest.raises(ValidationError, match="exactly one"):
        Example.model_validate({"path": "x.py"})
    assert Example.model_validate({"good": "x", "path": "requirements.txt"}).is_python is False


@pytest.mark.parametrize("field", ["id", "title", "severity", "guidance", "source", "tags"])
def test_required_fields(field: str) -> None:
    data = rule_data()
    del data[field]
    with pytest.raises(ValidationError, match=field):
        Rule.model_validate(data)


def test_unknown_keys_are_errors_everywhere() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Rule.model_validate(rule_data(colour="red"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        Rule.model_validate(rule_data(examples=[{"bad": "x", "lang": "py"}, {"good": "y"}]))


def test_guidance_length_is_capped() -> None:
    with pytest.raises(ValidationError, match="at most 400"):
        Rule.model_validate(rule_data(guidance="Do this. " * 60))


def test_models_are_frozen() -> None:
    rule = Rule.model_validate(rule_data())
    with pytest.raises(ValidationError):
        rule.title = "changed"  # type: ignore[misc]


def test_parameter_shorthand_and_full_form() -> None:
    rule = Rule.model_validate(
        rule_data(
            params={
                "max_lines": 30,
                "layout": {"value": "by-type", "choices": ["by-type", "by-domain"]},
            }
        )
    )
    assert rule.params["max_lines"] == Parameter(value=30)
    assert rule.params["layout"].choices == ("by-type", "by-domain")
    with pytest.raises(ValidationError, match="not one of"):
        Parameter.model_validate({"value": "flat", "choices": ["by-type"]})
    with pytest.raises(ValidationError):
        Rule.model_validate(rule_data(params={"Max-Lines": 3}))


def test_section_prefix_must_match_rule_ids() -> None:
    with pytest.raises(ValidationError, match="not in section prefix API"):
        SectionFile.model_validate({"prefix": "API", "title": "API", "rules": [rule_data()]})


def section(section_id: str, prefix: str, *rules: dict[str, Any]) -> Section:
    return Section.model_validate(
        {"id": section_id, "prefix": prefix, "title": prefix, "rules": list(rules)}
    )


def test_pack_refuses_duplicate_ids_and_prefixes() -> None:
    sec = section("security", "SEC", rule_data())
    with pytest.raises(ValidationError, match="used twice"):
        Pack(
            id="p", version="1.0.0", title="P", sections=(sec, section("more", "SEC", rule_data()))
        )


def test_pack_lookup_and_parameter_precedence() -> None:
    sec = section(
        "security", "SEC", rule_data(params={"limit": 5}, guidance="At most ${limit}, in ${area}.")
    )
    pack = Pack(
        id="p",
        version="1.0.0",
        title="P",
        sections=(sec,),
        params={"limit": Parameter(value=1), "area": Parameter(value="eu")},
    )
    rule = pack.rule("SEC004")
    assert pack.section_of("SEC004").id == "security"
    assert pack.render(rule, rule.guidance) == "At most 5, in eu."
    with pytest.raises(KeyError):
        pack.rule("SEC999")


def test_pack_file_version_must_be_semver() -> None:
    with pytest.raises(ValidationError, match="version"):
        PackFile.model_validate({"id": "p", "version": "1.0", "title": "P", "sections": ["a"]})


def test_expand_params_renders_values_and_escapes() -> None:
    params = {
        "n": Parameter(value=30),
        "flag": Parameter(value=True),
        "names": Parameter(value=("is_", "has_")),
    }
    text = "max ${n}, ${flag}, prefixes ${names}, literal $${n}"
    assert referenced_params(text) == ["n", "flag", "names"]
    assert expand_params(text, params) == "max 30, true, prefixes is_, has_, literal ${n}"
    with pytest.raises(KeyError):
        expand_params("${missing}", params)


@given(st.text(alphabet=st.characters(blacklist_characters="$"), max_size=200))
def test_text_without_references_renders_unchanged(text: str) -> None:
    assert expand_params(text, {}) == text


def test_section_file_schema_forbids_unknown_keys() -> None:
    schema = SectionFile.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Rule"]["additionalProperties"] is False
    params = schema["$defs"]["Rule"]["properties"]["params"]["patternProperties"]
    (value_schema,) = params.values()
    kinds = [option.get("$ref", option.get("type")) for option in value_schema["anyOf"]]
    assert "#/$defs/Parameter" in kinds  # the full mapping form ...
    assert "integer" in kinds  # ... and the scalar shorthand
