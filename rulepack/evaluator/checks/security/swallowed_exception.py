"""swallowed-exception: ``except`` blocks that drop errors, or turn them into 500s unlogged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import HttpClasses, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional
from rulepack.evaluator.checks.imports import ImportMap, dotted
from rulepack.evaluator.checks.security.support import (
    ScopeVisitor,
    builtin_name,
    logging_call,
)

BROAD = frozenset({"Exception", "BaseException"})
# Calls that report an error with its traceback besides a logger.
TRACEBACK_CALLS = frozenset(
    {"print_exc", "print_exception", "capture_exception", "capture_exc", "notify_exception"}
)
REPORT_CALLS = TRACEBACK_CALLS | {"capture_message", "warn", "report_exception"}
# Narrow exceptions that are routinely ignored on purpose (cancellation, timeouts).
ROUTINE_PACKAGES = ("asyncio", "anyio", "concurrent", "trio", "contextlib")
# Narrow errors that signal a failed database, network or service call.
FAILURE_NAME = re.compile(
    r"SQLAlchemy|Database|DB|Operational|Integrity|Connect|Timeout|HTTP|Http|Transport"
    r"|Network|Gateway|Payment|Redis|Broker|SMTP|Smtp|Mail|Api|API|Client|Service|Upstream"
)


@dataclass
class _Body:
    """What an ``except`` body does."""

    logs: bool = False
    logs_traceback: bool = False
    raises: bool = False
    uses_error: bool = False
    answers_500: bool = False
    answers: bool = False  # returns or raises an HTTP response or exception


class _BodyScan(ScopeVisitor):
    """Scans one ``except`` body (not nested functions) for logging, raises and answers."""

    def __init__(self, error: str, imports: ImportMap, http: HttpClasses) -> None:
        super().__init__()
        self.error = error
        self.imports = imports
        self.http = http
        self.body = _Body()

    def visit_Name(self, node: cst.Name) -> None:
        if self.error and node.value == self.error:
            self.body.uses_error = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.body.raises = True
        if isinstance(node.exc, cst.Call) and self.http.kind_of(self.imports, node.exc.func):
            self.body.answers = True
            status = keyword(node.exc, "status_code") or positional(node.exc, 0)
            self.body.answers_500 = self.body.answers_500 or is_500(status)

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if isinstance(value, cst.Call) and self.http.kind_of(self.imports, value.func):
            self.body.answers = True
            status = keyword(value, "status_code") or positional(value, 1)
            self.body.answers_500 = self.body.answers_500 or is_500(status)

    def visit_Call(self, node: cst.Call) -> None:
        method = logging_call(node, self.imports)
        name = dotted(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if method is not None or "log" in last.lower() or last in REPORT_CALLS:
            self.body.logs = True
            if method == "exception" or last in TRACEBACK_CALLS or _has_exc_info(node):
                self.body.logs_traceback = True


def is_trivial(block: cst.BaseSuite) -> bool:
    """Whether a block only holds ``pass``, ``...`` or ``continue``."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            return False
        for small in statement.body:
            ellipsis = isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis)
            if not (ellipsis or isinstance(small, cst.Pass | cst.Continue)):
                return False
    return True


def _has_exc_info(call: cst.Call) -> bool:
    value = keyword(call, "exc_info") or keyword(call, "exception")
    return value is not None and not (isinstance(value, cst.Name) and value.value == "False")


def is_500(node: cst.BaseExpression | None) -> bool:
    """Whether a status argument is 500 (``500`` or ``status.HTTP_500_INTERNAL_SERVER_ERROR``)."""
    if isinstance(node, cst.Integer):
        return node.value == "500"
    name = dotted(node) if node is not None else None
    return name is not None and name.rsplit(".", 1)[-1].startswith("HTTP_500")


class SwallowedException(ModuleCheck):
    """``except`` blocks that swallow errors or turn them into 500s without logging.

    ## What it does
    Finds ``except`` blocks that:

    * catch everything (bare ``except:``, ``Exception``, ``BaseException``) and neither log,
      re-raise, return or raise an HTTP response, nor use the caught exception (``except
      Exception: pass``, ``return None``, ``continue``);
    * catch a database, network or service failure (``SQLAlchemyError``,
      ``httpx.HTTPError``, ``ConnectionError`` subclasses, ``PaymentGatewayError`` ... by name;
      not builtins, not asyncio's cancellation or timeout) with only ``pass``/``...``/
      ``continue``;
    * answer with a 500 (``HTTPException(500)``/``status.HTTP_500_...`` or a response with
      ``status_code=500``) without logging the traceback (``logger.exception``, ``exc_info=``,
      ``traceback.print_exc``, Sentry's ``capture_exception``).

    A logging call is a call on a logger (``logging``, ``logger``, ``self.log``, structlog,
    loguru) or on a function named ``*log*``. Narrow builtin catches (``except KeyError: pass``)
    are control flow and not reported; ruff S110/S112/BLE001/TRY400 cover related cases.

    ## Why is this bad?
    A swallowed exception leaves no trace of the failure; a 500 without a logged traceback
    tells the client something broke and tells the operators nothing.
    """

    id = "swallowed-exception"
    summary = "exception is swallowed, or answered with a 500 without logging it"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
            "async def charge(order: Order, gateway: PaymentGateway) -> None:\n"
            "    try:\n        await gateway.charge(order.id, order.total)\n"
            "    except PaymentDeclinedError:\n"
            "        logger.warning('Payment declined for order %s', order.id)\n        raise\n"
            "    except GatewayError:\n"
            "        logger.exception('Payment gateway failed for order %s', order.id)\n"
            "        raise\n"
        ),
        Case.good(
            "import asyncio\n\nfrom fastapi import HTTPException, status\n"
            "from fastapi.responses import JSONResponse\n\n\n"
            "async def load(key: str, cache: dict[str, str]) -> object:\n"
            "    try:\n        return cache[key]\n    except KeyError:\n        pass\n"
            "    try:\n        return parse(key)\n"
            "    except ValueError as exc:\n"
            "        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail='Bad key') from exc\n"
            "    except Exception:\n"
            "        return JSONResponse(status_code=422, content={'detail': 'Invalid'})\n\n\n"
            "async def stop(task: asyncio.Task[None]) -> None:\n"
            "    task.cancel()\n"
            "    try:\n        await task\n    except asyncio.CancelledError:\n        pass\n\n\n"
            "def parse(value: str) -> object:\n"
            "    try:\n        return Model.model_validate_json(value)\n"
            "    except (ValidationError, json.JSONDecodeError):\n"
            "        pass  # validated again when the settings are built\n"
            "    return value\n",
            note="narrow builtin, cancellation and validation catches, error responses",
        ),
        Case.good(
            "import structlog\nfrom fastapi import HTTPException as HTTPError\n"
            "from fastapi import status as st\n\nlog = structlog.get_logger()\n\n\n"
            "class Worker:\n"
            "    def run(self, job: object) -> None:\n"
            "        try:\n            job.run()\n"
            "        except Exception as exc:  # errors are collected for the report\n"
            "            self.errors.append(exc)\n\n"
            "    async def save(self, job: object) -> None:\n"
            "        try:\n            await job.save()\n"
            "        except Exception as exc:\n"
            "            log.error('save_failed', exc_info=True)\n"
            "            raise HTTPError(st.HTTP_500_INTERNAL_SERVER_ERROR, 'Failed') from exc\n"
            "        except OSError:\n"
            "            self._log_failure()\n",
            note="stored exceptions, structlog with exc_info, a helper named *log*",
        ),
        Case.good(
            "from loguru import logger\n\n\n"
            "def send(mailer: object) -> bool:\n"
            "    try:\n        mailer.send()\n"
            "    except Exception:\n"
            "        logger.opt(exception=True).warning('send failed')\n"
            "        return False\n    return True\n",
            note="loguru with a bound option",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "async def notify(notifier: Notifier, user: User) -> None:\n"
            "    try:\n        await notifier.send_welcome(user.email)\n"
            "    except Exception:\n        pass\n"
        ),
        Case.bad(
            "def read_all(paths: list[str]) -> list[str]:\n"
            "    def read(path: str) -> str | None:\n"
            "        try:\n            return open(path).read()\n"
            "        except:\n            return None\n\n"
            "    out = []\n    for path in paths:\n"
            "        try:\n            out.append(read(path))\n"
            "        except (OSError, BaseException):\n            continue\n"
            "    return out\n",
            hits=2,
            note="a bare except in a nested function, a broad tuple with continue",
        ),
        Case.bad(
            "from fastapi import HTTPException as HTTPError\nfrom fastapi import status as st\n"
            "from fastapi.responses import JSONResponse\nfrom sqlalchemy.exc import"
            " SQLAlchemyError\n\n\n"
            "async def create(repo: object) -> object:\n"
            "    try:\n        return await repo.add()\n"
            "    except SQLAlchemyError as exc:\n"
            "        raise HTTPError(st.HTTP_500_INTERNAL_SERVER_ERROR, 'Failed') from exc\n\n\n"
            "async def export(repo: object) -> object:\n"
            "    try:\n        return await repo.dump()\n"
            "    except RuntimeError:\n"
            "        return JSONResponse(status_code=500, content={'detail': 'Failed'})\n"
            "    except SQLAlchemyError:\n        pass\n",
            hits=3,
            note="500 answers without a logged traceback, a library error dropped",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's HTTP exception and response classes."""
        super().__init__(context)
        self.http = HttpClasses.of(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        """Judge one ``except`` block."""
        error = node.name.name.value if node.name and isinstance(node.name.name, cst.Name) else ""
        scan = _BodyScan(error, self.context.imports, self.http)
        node.body.visit(scan)
        message = self._verdict(node, scan.body)
        if message is not None:
            self.report(node, message)

    def _verdict(self, node: cst.ExceptHandler, body: _Body) -> str | None:
        if body.answers_500 and not body.logs_traceback:
            return (
                "the error is answered with a 500 but its traceback is not logged; call "
                "`logger.exception(...)` before answering"
            )
        if body.raises or body.answers or body.logs or body.uses_error:
            return None
        caught = self._caught(node)
        if caught is None:
            return (
                "bare `except:` swallows every error without logging or re-raising it; catch "
                "what you can handle and log the rest with `logger.exception(...)`"
            )
        if any(name in BROAD for name in caught):
            return (
                "`except Exception` swallows the error without logging or re-raising it; log "
                "it with `logger.exception(...)` or let it propagate"
            )
        if is_trivial(node.body) and self._names_library_error(node):
            return "this `except` drops the error silently; log it or handle it"
        return None

    def _caught(self, node: cst.ExceptHandler) -> list[str] | None:
        """Builtin names among the caught types (``None`` for a bare ``except:``)."""
        if node.type is None:
            return None
        types = node.type.elements if isinstance(node.type, cst.Tuple) else None
        values = [element.value for element in types] if types is not None else [node.type]
        return [name for value in values if (name := builtin_name(value, self.context.imports))]

    def _names_library_error(self, node: cst.ExceptHandler) -> bool:
        """Whether the clause catches only failures of databases, networks or services."""
        if node.type is None:
            return False
        types = node.type.elements if isinstance(node.type, cst.Tuple) else None
        values = [element.value for element in types] if types is not None else [node.type]
        for value in values:
            if builtin_name(value, self.context.imports) is not None:
                return False
            qualified = self.qualified(value) or ""
            if qualified.split(".", 1)[0] in ROUTINE_PACKAGES:
                return False
            if not FAILURE_NAME.search(qualified.rsplit(".", 1)[-1]):
                return False
        return True
