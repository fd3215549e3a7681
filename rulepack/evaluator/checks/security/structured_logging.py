"""structured-logging: log messages with values interpolated into their text."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.security.support import (
    interpolation_kind,
    log_message,
    logging_call,
)


class StructuredLogging(ModuleCheck):
    """Log messages with values interpolated into their text.

    ## What it does
    Finds logging calls (``logging.info``, ``logger.warning``, ``self.log.error``,
    ``logging.getLogger(__name__).info``, structlog and loguru loggers, ``logger.bind(...)``
    chains, ``logger.log(level, msg)``) whose message is an f-string, a ``%`` expression, a
    ``+`` concatenation or a ``.format()`` call. Lazy ``%s`` arguments (``logger.info("Order
    %s", order_id)``), ``extra={...}`` and structlog key-value pairs are fine. ``print()`` is
    ruff T201's; ruff G001-G004 overlap for stdlib loggers, and this check also covers structlog
    and loguru loggers under any name.

    ## Why is this bad?
    Key-value context can be filtered and aggregated in a log backend; values baked into the
    message text cannot be queried and make every message unique.
    """

    id = "structured-logging"
    summary = "log message interpolates values; log an event with context fields"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import structlog\n\nlogger = structlog.get_logger(__name__)\n\n\n"
            "async def record_order(user_id: int, total_cents: int) -> None:\n"
            "    logger.info('order_created', user_id=user_id, total_cents=total_cents)\n",
            path="app/services/order_service.py",
        ),
        Case.good(
            "import logging\n\nlogger = logging.getLogger(__name__)\n"
            "logging.basicConfig(format='%(asctime)s %(message)s')\n\n\n"
            "async def record_order(user_id: int, total_cents: int) -> None:\n"
            "    logger.info('order created', extra={'user_id': user_id, 'total_cents':"
            " total_cents})\n"
            "    logger.info('Charging order %s', user_id)\n"
            "    print(f'debug {user_id}')\n",
            path="app/services/order_service.py",
            note="extra=, lazy %s arguments, print (T201's)",
        ),
        Case.good(
            "from loguru import logger\n\n\n"
            "class Job:\n"
            "    def run(self, user_id: int) -> None:\n"
            "        logger.bind(user_id=user_id).info('job started')\n"
            "        self.log(f'step {user_id}')\n"
            "        self.console.log(f'step {user_id}')\n",
            note="loguru bind, methods named log on objects that are not loggers",
        ),
        Case.good(
            "import logging\n\n\ndef test_x(x: int) -> None:\n    logging.info(f'x={x}')\n",
            path="tests/test_x.py",
            note="tests are not checked",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
            "async def record_order(user_id: int, total_cents: int) -> None:\n"
            "    logger.info(f'Order created for user {user_id}, total {total_cents}')\n",
            path="app/services/order_service.py",
        ),
        Case.bad(
            "import logging\n\nimport structlog\nfrom loguru import logger as lg\n\n"
            "log = structlog.get_logger()\n\n\n"
            "class Worker:\n"
            "    def __init__(self) -> None:\n"
            "        self._logger = logging.getLogger('worker')\n\n"
            "    def run(self, job_id: int, name: str) -> None:\n"
            "        log.info(f'job {job_id} started')\n"
            "        lg.bind(job=job_id).warning('retrying %s' % name)\n"
            "        self._logger.error('job {} failed'.format(job_id))\n"
            "        logging.getLogger(__name__).debug('name: ' + name)\n"
            "        self._logger.log(logging.INFO, f'done {job_id}')\n",
            hits=5,
            note="structlog, aliased loguru, %, .format(), +, log(level, msg)",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_Call(self, node: cst.Call) -> None:
        """Report logging calls whose message interpolates values."""
        method = logging_call(node, self.context.imports)
        if method is None:
            return
        message = log_message(node, method)
        kind = interpolation_kind(message) if message is not None else None
        if kind is not None:
            self.report(
                node,
                f"log message is built with {kind}; log a constant event and pass the values "
                "as context (`extra={...}` or structlog/loguru key-value pairs)",
            )
