"""jwt-library: python-jose, ``jwt.decode`` without algorithms or verification, no ``exp``."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional, string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.security.support import ScopeVisitor, iter_targets

JOSE_PACKAGES = frozenset({"jose", "python_jose"})
DECODE = frozenset({"jwt.decode", "jwt.api_jwt.decode", "jwt.decode_complete"})
ENCODE = frozenset({"jwt.encode", "jwt.api_jwt.encode"})
VERIFY_OPTIONS = frozenset({"verify_signature", "verify_exp"})


def is_false(node: cst.BaseExpression) -> bool:
    """Whether ``node`` is the literal ``False``."""
    return isinstance(node, cst.Name) and node.value == "False"


def dict_keys(node: cst.Dict) -> set[str] | None:
    """The string keys of a dict literal; ``None`` when one is computed or ``**`` spread."""
    keys: set[str] = set()
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None
        key = string_value(element.key)
        if key is None:
            return None
        keys.add(key)
    return keys


class _Claims(ScopeVisitor):
    """How a function binds and changes one variable: dict literals assigned, other changes."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.literals: list[cst.Dict] = []
        self.other = False  # bound to something else, updated, or item-assigned

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in iter_targets(node):
            if isinstance(target, cst.Name) and target.value == self.name:
                if isinstance(node.value, cst.Dict):
                    self.literals.append(node.value)
                else:
                    self.other = True
            elif isinstance(target, cst.Subscript) and dotted(target.value) == self.name:
                self.other = True

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if dotted(node.target) == self.name:
            self.other = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and dotted(func.value) == self.name:
            self.other = self.other or func.attr.value in {"update", "setdefault", "__setitem__"}


class JwtLibrary(ModuleCheck):
    """python-jose, and PyJWT calls that skip algorithm, signature or expiry checks.

    ## What it does
    Finds imports of python-jose (``jose``); ``jwt.decode(...)`` without ``algorithms=`` (or a
    third positional argument); ``options={"verify_signature": False}`` or ``"verify_exp":
    False`` and ``verify=False``; and ``jwt.encode(claims, ...)`` whose claims are a dict
    literal without an ``"exp"`` key (given inline, or bound once to a local variable that is
    never updated).

    ## Why is this bad?
    python-jose is unmaintained and has open advisories; without a pinned algorithm list a
    token can choose its own algorithm, without verification anyone can forge one, and without
    ``exp`` a stolen token is valid forever.
    """

    id = "jwt-library"
    summary = "python-jose, or a JWT decoded without algorithms/verification or issued without exp"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from datetime import datetime, timedelta, timezone\n\nimport jwt\n\n"
            "ALGORITHM = 'HS256'\n\n\n"
            "def create_access_token(subject: str, key: str, ttl: timedelta) -> str:\n"
            "    claims = {'sub': subject, 'exp': datetime.now(timezone.utc) + ttl}\n"
            "    return jwt.encode(claims, key, algorithm=ALGORITHM)\n\n\n"
            "def read_subject(token: str, key: str) -> str:\n"
            "    payload = jwt.decode(\n"
            "        token, key, algorithms=[ALGORITHM], options={'require': ['exp', 'sub']}\n"
            "    )\n"
            "    return str(payload['sub'])\n",
            path="app/core/security.py",
        ),
        Case.good(
            "import jwt as pyjwt\n\n\n"
            "def issue(data: dict[str, str], key: str, expire: int) -> str:\n"
            "    to_encode = {'sub': data['sub']}\n    to_encode.update({'exp': expire})\n"
            "    claims = {'sub': 'x'}\n    claims['exp'] = expire\n"
            "    pyjwt.encode(claims, key)\n"
            "    return pyjwt.encode(to_encode, key, 'HS256')\n\n\n"
            "def check(token: str, key: str, claims: dict[str, object]) -> object:\n"
            "    pyjwt.encode(claims, key)\n"
            "    return pyjwt.decode(token, key, ['HS256'])\n",
            note="an alias, claims given exp later or from a parameter, positional algorithms",
        ),
        Case.good(
            "from authlib.jose import jwt\n\n\n"
            "def read(token: str, key: str) -> object:\n    return jwt.decode(token, key)\n",
            note="authlib's jose is another library with another API",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from jose import jwt\n\n\n"
            "def decode_access_token(token: str, secret: str) -> dict:\n"
            "    return jwt.decode(token, secret, algorithms=['HS256'])\n",
            path="app/core/security.py",
        ),
        Case.bad(
            "import jwt\n\n\n"
            "def read_subject(token: str) -> str:\n"
            "    payload = jwt.decode(token, options={'verify_signature': False})\n"
            "    return str(payload['sub'])\n",
            path="app/core/security.py",
        ),
        Case.bad(
            "from jwt import decode, encode\n\n\n"
            "class Tokens:\n"
            "    def read(self, token: str) -> object:\n"
            "        return decode(token, self.key)\n\n"
            "    def read_expired(self, token: str) -> object:\n"
            "        return decode(token, self.key, algorithms=['HS256'],"
            " options={'verify_exp': False})\n\n"
            "    def issue(self, user_id: int) -> str:\n"
            "        claims = {'sub': str(user_id), 'role': 'user'}\n"
            "        encode({'sub': str(user_id)}, self.key)\n"
            "        return encode(claims, self.key, algorithm='HS256')\n",
            hits=4,
            note="names imported from jwt: no algorithms, expiry off, claims without exp twice",
        ),
        Case.bad("import jose.jwt\n", note="a plain import of python-jose"),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the function stack (for claims bound to local variables)."""
        super().__init__(context)
        self.functions: list[cst.FunctionDef] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that import PyJWT or python-jose."""
        del project
        return any(name.split(".", 1)[0] in {"jwt", *JOSE_PACKAGES} for name in facts.imported)

    def visit_Import(self, node: cst.Import) -> None:
        """``import jose``."""
        for alias in node.names:
            name = dotted(alias.name) or ""
            if name.split(".", 1)[0] in JOSE_PACKAGES:
                self._report_jose(node)
                return

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """``from jose import jwt``."""
        if node.relative or node.module is None:
            return
        if (dotted(node.module) or "").split(".", 1)[0] in JOSE_PACKAGES:
            self._report_jose(node)

    def _report_jose(self, node: cst.CSTNode) -> None:
        self.report(
            node,
            "python-jose is unmaintained and has open security advisories; use PyJWT "
            "(`import jwt`)",
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function."""
        self.functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        """Check ``jwt.decode`` and ``jwt.encode`` calls."""
        qualified = self.qualified(node.func)
        if qualified in DECODE:
            self._check_decode(node)
        elif qualified in ENCODE:
            self._check_encode(node)

    def _check_decode(self, node: cst.Call) -> None:
        options = keyword(node, "options")
        if isinstance(options, cst.Dict):
            for element in options.elements:
                if (
                    isinstance(element, cst.DictElement)
                    and string_value(element.key) in VERIFY_OPTIONS
                    and is_false(element.value)
                ):
                    self.report(
                        element,
                        f"`{string_value(element.key)}: False` accepts forged or expired "
                        "tokens; keep verification on",
                    )
                    return
        verify = keyword(node, "verify")
        if verify is not None and is_false(verify):
            self.report(verify, "`verify=False` accepts forged tokens; keep verification on")
        elif keyword(node, "algorithms") is None and positional(node, 2) is None:
            self.report(
                node,
                "`jwt.decode` without `algorithms=`: pin the accepted algorithms, e.g. "
                '`algorithms=["HS256"]`',
            )

    def _check_encode(self, node: cst.Call) -> None:
        claims = keyword(node, "payload") or positional(node, 0)
        literals: list[cst.Dict] = []
        if isinstance(claims, cst.Dict):
            literals = [claims]
        elif isinstance(claims, cst.Name) and self.functions:
            bound = _Claims(claims.value)
            self.functions[-1].body.visit(bound)
            literals = [] if bound.other else bound.literals
        for literal in literals:
            keys = dict_keys(literal)
            if keys is not None and "exp" not in keys:
                self.report(
                    node,
                    "the token's claims have no `exp`; add an expiry so a stolen token stops "
                    "working",
                )
                return
