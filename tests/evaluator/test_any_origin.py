"""Tracing an unresolved import's ``Any`` through a sample's names, without running mypy."""

from __future__ import annotations

import textwrap

from rulepack.evaluator.any_origin import AnyOrigins
from rulepack.evaluator.runners.mypy import MypyHit

SECURITY = textwrap.dedent(
    """\
    import jose.jwt as token_lib
    from passlib.context import CryptContext
    from app.settings import SECRET

    context = CryptContext()
    counter = 0


    def codec(name: str) -> CryptContext:
        return context


    def verify(ctx: CryptContext, secret: str) -> bool:
        with ctx.session() as session:
            result = session.verify(secret)
        for item in token_lib.items():
            last = item
        return result


    def plain() -> int:
        return counter
    """
)
USERS = textwrap.dedent(
    """\
    from app.security import codec, counter


    def check() -> bool:
        return codec("x").verify()


    def total() -> int:
        return counter
    """
)


def origins() -> AnyOrigins:
    sources = {"app/security.py": SECURITY, "app/users.py": USERS}
    return AnyOrigins.trace(sources, ("jose", "passlib.context"))


def returning(path: str, line: int, column: int = 5) -> MypyHit:
    return MypyHit(path, "no-any-return", "Returning Any from function", line, column, line, 30)


def test_names_from_unresolved_imports_and_what_they_flow_into() -> None:
    tainted = origins().tainted["app/security.py"]
    assert {"token_lib", "CryptContext", "context", "codec", "ctx", "session", "result"} <= tainted
    assert {"item", "last"} <= tainted  # a for loop over an Any
    assert "counter" not in tainted
    assert "SECRET" not in tainted  # app.settings resolves; only unresolved modules taint
    assert "plain" not in tainted


def test_tainted_names_cross_into_the_files_that_import_them() -> None:
    tainted = origins().tainted["app/users.py"]
    assert "codec" in tainted
    assert "counter" not in tainted


def test_only_errors_whose_expression_uses_a_tainted_name_are_excused() -> None:
    found = origins()
    reason = found.reason(returning("app/security.py", 10))
    assert reason is not None
    assert "'context'" in reason
    assert found.reason(returning("app/security.py", 18)) is not None  # return result
    assert found.reason(returning("app/users.py", 5)) is not None  # codec(...) from security
    assert found.reason(returning("app/security.py", 22)) is None  # return counter: not Any
    assert found.reason(returning("app/users.py", 9)) is None


def test_the_kind_of_error_matters() -> None:
    found = origins()
    wrong_type = MypyHit("app/security.py", "return-value", "Incompatible return", 10, 5, 10, 20)
    assert found.reason(wrong_type) is None  # not something an Any causes
    subclass = MypyHit(
        "app/security.py", "misc", 'Class cannot subclass "CryptContext" (has type "Any")',
        5, 11, 5, 23,
    )  # fmt: skip
    assert found.reason(subclass) is not None
    missing = MypyHit(
        "app/security.py", "import-not-found", 'Cannot find ... named "jose.jwt"', 1, 1, 1, 2
    )
    assert "'jose.jwt'" in (found.reason(missing) or "")


def test_nothing_is_excused_without_an_unresolved_import() -> None:
    found = AnyOrigins.trace({"app/security.py": SECURITY}, ())
    assert found.reason(returning("app/security.py", 10)) is None
