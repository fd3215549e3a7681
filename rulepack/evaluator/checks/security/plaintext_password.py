"""plaintext-password: plain password columns, passwords stored unhashed, hashlib on passwords."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import defined_classes, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.security.hashed_fields import hashed_fields
from rulepack.evaluator.checks.security.support import (
    ScopeVisitor,
    iter_targets,
    names_in,
)

PASSWORD_NAME = re.compile(r"^(user_|plain_|raw_|clear_|new_)?(password|passwd|pwd|passphrase)$")
# Where a password is stored: a plain name, or a column meant for its hash.
STORED_NAME = re.compile(
    r"^(user_|plain_|raw_|clear_|new_)?(password|passwd|pwd|passphrase)$"
    r"|^(hashed_)(password|passwd|pwd)$|^(password|passwd|pwd)_hash$"
)
PASSWORD_PART = re.compile(r"(^|_)(password|passwd|pwd|pw|passphrase)($|_)", re.IGNORECASE)
ORM_ROOTS = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlalchemy.orm.MappedAsDataclass",
    }
)
PYDANTIC_ROOTS = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel"})
# Classes named like request schemas or credentials carry the plain password on purpose.
SCHEMA_SUFFIXES = (
    "Create",
    "Update",
    "In",
    "Input",
    "Request",
    "Schema",
    "Form",
    "Credentials",
    "Login",
    "Payload",
    "Body",
    "Data",
    "Settings",
    "Config",
)
# Classes not defined in the sample count as user models only by an entity-like name, so that
# clients and connections given their own credentials (``Connection(password=...)``) do not.
ENTITY_NAME = re.compile(
    r"(User|Account|Member|Admin|Customer|Person|Profile|Employee|Staff|Owner|Player|Student"
    r"|Operator|Subscriber|Tenant|Identity)s?$"
)
KDF_FUNCTIONS = frozenset({"pbkdf2_hmac", "scrypt"})
HASH_HINTS = ("hash", "encrypt", "crypt", "make_password")


def is_password_value(node: cst.BaseExpression) -> bool:
    """``password``, ``payload.password``, ``form["password"]``: a plain password as sent."""
    if isinstance(node, cst.Name):
        return bool(PASSWORD_NAME.match(node.value))
    if isinstance(node, cst.Attribute):
        return bool(PASSWORD_NAME.match(node.attr.value))
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        key = string_value(index.value) if isinstance(index, cst.Index) else None
        return key is not None and bool(PASSWORD_NAME.match(key))
    return False


class _HashCalls(ScopeVisitor):
    """Whether a function body calls something that hashes (``hash_password``, ``.hash()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        name = (dotted(node.func) or "").rsplit(".", 1)[-1].lower()
        if any(hint in name for hint in HASH_HINTS):
            self.found = True


class PlaintextPassword(ModuleCheck):
    """Passwords stored or hashed in a way that exposes them.

    ## What it does
    Finds ORM models (a ``__tablename__``, ``table=True`` or a ``DeclarativeBase`` base) with a
    ``password`` column (``hashed_password``/``password_hash`` are fine); ``obj.password =
    payload.password`` (or ``obj.hashed_password = ...``) and model constructors given
    ``password=payload.password`` or ``hashed_password=password`` in a function that calls
    nothing that hashes (``hash_password``,
    ``pwd_context.hash``, ``bcrypt.hashpw``, Argon2's ``.hash``); and ``hashlib`` digests
    (``md5``, ``sha1``, ``sha256`` ..., not ``pbkdf2_hmac``/``scrypt``) of password-named values.
    Constructors are those of the sample's models, or of classes it does not define with an
    entity name (``User``, ``Account``, ``Member``, ``Customer`` ...); never Pydantic models,
    imported library classes, clients (``Connection(password=...)``) or classes named like
    request schemas (``...Create``, ``...Form``, ``...Credentials`` ...).
    ``self.password = password`` is not reported. A ``password`` column is not reported when
    the sample stores a hash in it (``user.password = hash_password(...)``, ``{"password":
    get_hash_password(...)}``, a hashing setter or ``@validates("password")``), and a password
    that a Pydantic ``@field_validator("password")`` hashes on input may be passed on as is.

    ## Why is this bad?
    A leaked table of plain or fast-hashed passwords exposes every user's credentials, also on
    other sites; Argon2 and bcrypt are salted and deliberately slow to brute-force.
    """

    id = "plaintext-password"
    summary = "password stored in plain text or hashed with a fast digest"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from pwdlib import PasswordHash\n\npassword_hash = PasswordHash.recommended()\n\n\n"
            "def hash_password(password: str) -> str:\n"
            "    return password_hash.hash(password)\n\n\n"
            "def verify_password(password: str, hashed_password: str) -> bool:\n"
            "    return password_hash.verify(password, hashed_password)\n",
            path="app/core/security.py",
        ),
        Case(
            files={
                "app/models/user.py": (
                    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
                    "class Base(DeclarativeBase):\n    pass\n\n\n"
                    "class User(Base):\n    __tablename__ = 'users'\n"
                    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                    "    hashed_password: Mapped[str]\n"
                ),
                "app/schemas/user.py": (
                    "from pydantic import BaseModel\n\n\n"
                    "class UserCreate(BaseModel):\n    email: str\n    password: str\n\n\n"
                    "class SignupIn(BaseModel):\n    password: str\n"
                ),
                "app/services/users.py": (
                    "import bcrypt\nfrom fastapi.security import HTTPBasicCredentials\n\n"
                    "from app.models.user import User\nfrom app.schemas.user import SignupIn\n\n\n"
                    "async def register(repo: object, payload: object) -> User:\n"
                    "    digest = bcrypt.hashpw(payload.password.encode(), bcrypt.gensalt())\n"
                    "    user = User(email=payload.email, hashed_password=digest.decode())\n"
                    "    SignupIn(password=payload.password)\n"
                    "    return await repo.add(user)\n\n\n"
                    "async def login(form: object, auth: object) -> object:\n"
                    "    creds = HTTPBasicCredentials(username=form.username,"
                    " password=form.password)\n"
                    "    return await auth.authenticate(username=form.username,"
                    " password=form.password)\n"
                ),
            },
            hits=0,
            note="hashed column, a hash call, Pydantic and library classes, a plain function call",
        ),
        Case.good(
            "import hashlib\n\n\n"
            "class SmtpClient:\n"
            "    def __init__(self, user: str, password: str) -> None:\n"
            "        self.user = user\n        self.password = password\n\n\n"
            "def derive(password: str, salt: bytes) -> bytes:\n"
            "    return hashlib.pbkdf2_hmac('sha256', password.encode(), salt, 600_000)\n\n\n"
            "def token_digest(token: str) -> str:\n"
            "    return hashlib.sha256(token.encode()).hexdigest()\n\n\n"
            "def reset(user: object, payload: object) -> None:\n"
            "    user.password = get_password_hash(payload.password)\n\n\n"
            "def connect(user: str, password: str) -> Connection:\n"
            "    return Connection(user=user, password=password)\n",
            note="clients keeping their own credential, a KDF, a token digest, a hashed value",
        ),
        Case(
            files={
                "app/models/member.py": (
                    "import bcrypt\nfrom sqlalchemy import Column, Integer, LargeBinary\n"
                    "from sqlalchemy.orm import DeclarativeBase, validates\n\n\n"
                    "class Base(DeclarativeBase):\n    pass\n\n\n"
                    "class Member(Base):\n    __tablename__ = 'members'\n"
                    "    id = Column(Integer, primary_key=True)\n"
                    "    password = Column(LargeBinary, nullable=False)\n\n"
                    "    @validates('password')\n"
                    "    def _digest(self, key: str, value: str) -> bytes:\n"
                    "        return bcrypt.hashpw(value.encode(), bcrypt.gensalt())\n"
                ),
                "app/models/staff.py": (
                    "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                    "from app.models.member import Base\n\n\n"
                    "class Staff(Base):\n    __tablename__ = 'staff'\n"
                    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                    "    password: Mapped[str]\n"
                ),
                "app/crud/staff.py": (
                    "from app.core.security import get_password_hash\n\n\n"
                    "async def add_staff(session: object, obj: object) -> None:\n"
                    "    obj.password = get_password_hash(obj.password)\n"
                    "    session.add(obj)\n"
                ),
                "app/schemas/signup.py": (
                    "from pydantic import BaseModel, field_validator\n\n"
                    "from app.core.security import hash_secret\n\n\n"
                    "class Signup(BaseModel):\n    password: str\n\n"
                    "    @field_validator('password', mode='before')\n"
                    "    @classmethod\n"
                    "    def _hash(cls, value: str) -> str:\n"
                    "        return hash_secret(value)\n"
                ),
                "app/services/signup.py": (
                    "from app.models.member import Member\n\n\n"
                    "def register(data: object) -> Member:\n"
                    "    password = data.password.encode()\n"
                    "    return Member(password=password)\n"
                ),
            },
            hits=0,
            note="`password` columns that only ever receive a hash: @validates, a crud "
            "function that hashes, and a schema validator that hashes on input",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "async def register(repo: UserRepository, payload: UserCreate) -> User:\n"
            "    return await repo.add(User(email=payload.email, password=payload.password))\n",
            path="app/services/users.py",
        ),
        Case(
            files={
                "app/db/base.py": (
                    "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                    "class Base(DeclarativeBase):\n    pass\n"
                ),
                "app/db/models.py": (
                    "from sqlalchemy import Column, String\n"
                    "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                    "from app.db.base import Base\n\n\n"
                    "class Account(Base):\n    __tablename__ = 'accounts'\n"
                    "    password: Mapped[str] = mapped_column(String(128))\n\n\n"
                    "class LegacyUser(Base):\n    __tablename__ = 'legacy_users'\n"
                    "    passwd = Column(String)\n"
                ),
                "app/services/accounts.py": (
                    "from app.db.models import Account\n\n\n"
                    "class AccountService:\n"
                    "    async def change(self, account: Account, data: object) -> None:\n"
                    "        account.password = data.new_password\n\n"
                    "    async def create(self, password: str) -> Account:\n"
                    "        return Account(password=password)\n"
                ),
            },
            hits=4,
            note="Mapped and Column password columns, an assignment and a constructor",
        ),
        Case.bad(
            "import hashlib\nfrom hashlib import sha1 as s1\n\n\n"
            "def hash_pw(pw: str) -> str:\n"
            "    return hashlib.sha256(pw.encode()).hexdigest()\n\n\n"
            "def legacy(payload: object) -> str:\n"
            "    return s1(payload.password.encode()).hexdigest()\n",
            hits=2,
            note="sha256 (which S324 accepts) and an aliased sha1 on password-named values",
        ),
        Case(
            files={
                "models.py": (
                    "from sqlalchemy import Column, Integer, String\n"
                    "from sqlalchemy.orm import declarative_base\n\n"
                    "Base = declarative_base()\n\n\n"
                    "class account(Base):\n    __tablename__ = 'accounts'\n"
                    "    id = Column(Integer, primary_key=True)\n    secret = Column(String)\n"
                ),
                "main.py": (
                    "from models import *\n\n\n"
                    "def create(u: object) -> object:\n"
                    "    return account(name=u.name, password=u.password)\n"
                ),
            },
            hits=1,
            note="a lower-case model from declarative_base(), reached through a star import",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the function stack; model classes are resolved on first use."""
        super().__init__(context)
        self.hashes: list[bool | None] = []  # per enclosing function: calls a hash function?
        self.functions: list[cst.FunctionDef] = []
        self.models: tuple[frozenset[str], frozenset[str], frozenset[str]] | None = None

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Report password columns of ORM models."""
        if not self._is_orm_class(node):
            return
        for statement in _body_statements(node.body):
            if not isinstance(statement, cst.Assign | cst.AnnAssign):
                continue
            for target in iter_targets(statement):
                if (
                    isinstance(target, cst.Name)
                    and PASSWORD_NAME.match(target.value)
                    and target.value not in hashed_fields(self.context.project).stored
                ):
                    self.report(
                        target,
                        f"ORM model `{node.name.value}` stores a `{target.value}` column; store "
                        "only an Argon2/bcrypt hash, in `hashed_password`",
                    )

    def _is_orm_class(self, node: cst.ClassDef) -> bool:
        if any(arg.keyword is not None and arg.keyword.value == "table" for arg in node.keywords):
            return True
        for statement in _body_statements(node.body):
            if isinstance(statement, cst.Assign | cst.AnnAssign):
                for target in iter_targets(statement):
                    if isinstance(target, cst.Name) and target.value in {
                        "__tablename__",
                        "__table__",
                    }:
                        return True
        orm, _, _ = self._models()
        return any(self.qualified(base.value) in orm for base in node.bases)

    def _models(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The sample's ORM classes, Pydantic models and every class it defines."""
        if self.models is None:
            project = self.context.project
            defined = defined_classes(project)
            roots = set(ORM_ROOTS)
            for module in project.modules:
                for fact in module.classes:
                    roots.update(
                        base
                        for base in fact.bases
                        if base not in defined and base.rsplit(".", 1)[-1] in {"Base", "Model"}
                    )
            self.models = (
                project.subclasses_of(roots),
                project.subclasses_of(PYDANTIC_ROOTS),
                defined,
            )
        return self.models

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function; whether it hashes is found on first need."""
        self.functions.append(node)
        self.hashes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.functions.pop()
        self.hashes.pop()

    def _function_hashes(self) -> bool:
        if not self.functions:
            return False
        if self.hashes[-1] is None:
            finder = _HashCalls()
            self.functions[-1].body.visit(finder)
            self.hashes[-1] = finder.found
        return bool(self.hashes[-1])

    def visit_Assign(self, node: cst.Assign) -> None:
        """``user.password = payload.password`` without a hash call."""
        for target in iter_targets(node):
            if (
                isinstance(target, cst.Attribute)
                and STORED_NAME.match(target.attr.value)
                and not (isinstance(target.value, cst.Name) and target.value.value == "self")
                and is_password_value(node.value)
                and target.attr.value not in hashed_fields(self.context.project).validated
                and not self._function_hashes()
            ):
                self.report(
                    node,
                    f"`{dotted(target) or target.attr.value}` is set to the plain password; "
                    "store `hash_password(...)` in `hashed_password`",
                )

    def visit_Call(self, node: cst.Call) -> None:
        """Model constructors given a plain password, and ``hashlib`` digests of passwords."""
        qualified = self.qualified(node.func) or ""
        if qualified.startswith("hashlib."):
            self._check_digest(node, qualified)
            return
        for argument in node.args:
            keyword = argument.keyword
            if (
                keyword is not None
                and STORED_NAME.match(keyword.value)
                and is_password_value(argument.value)
                and keyword.value not in hashed_fields(self.context.project).validated
                and self._is_model(node.func)
                and not self._function_hashes()
            ):
                self.report(
                    argument,
                    f"`{dotted(node.func)}` is given the plain password; pass "
                    "`hashed_password=hash_password(...)` instead",
                )

    def _is_model(self, func: cst.BaseExpression) -> bool:
        """A model of the sample, or a class it does not define with an entity-like name."""
        name = dotted(func)
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1]
        orm, pydantic, defined = self._models()
        qualified = self.qualified(func) or ""
        if qualified in orm or (
            "." not in name
            and name not in self.context.imports.names
            and any(model.rsplit(".", 1)[-1] == name for model in orm)
        ):
            return True  # a model of the sample, also through ``from models import *``
        if not ENTITY_NAME.search(last) or last.endswith(SCHEMA_SUFFIXES):
            return False
        if qualified in pydantic or qualified in defined:
            return False
        head = name.split(".", 1)[0]
        imported = self.context.imports.names.get(head)
        if imported is None:
            return True  # not imported and not defined here: a snippet's model
        first_party = {module.module.split(".", 1)[0] for module in self.context.project.modules}
        return imported.split(".", 1)[0] in first_party

    def _check_digest(self, node: cst.Call, qualified: str) -> None:
        algorithm = qualified.rsplit(".", 1)[-1]
        if algorithm in KDF_FUNCTIONS or not node.args:
            return
        values = [a.value for a in node.args if a.keyword is None]
        index = 1 if algorithm == "new" else 0  # hashlib.new(name, data)
        if len(values) <= index:
            return
        data = values[index]
        for name in names_in(data):
            parts = name.split(".")
            if any(PASSWORD_PART.search(p) and "hash" not in p.lower() for p in parts):
                self.report(
                    node,
                    f"`hashlib.{algorithm}` is a fast digest, unfit for passwords; hash them "
                    "with pwdlib (Argon2) or bcrypt",
                )
                return


def _body_statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement]:
    """The small statements directly in a class body."""
    if not isinstance(body, cst.IndentedBlock):
        return list(body.body) if isinstance(body, cst.SimpleStatementSuite) else []
    return [
        small
        for line in body.body
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
    ]
