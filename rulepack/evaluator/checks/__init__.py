"""Custom checks, one module each, and the registry of every check by id.

The first checks live beside this module; later ones are grouped in subpackages, each with its
own ``CHECKS`` table, so that groups can grow independently.
"""

from __future__ import annotations

from rulepack.evaluator.checks import data, project, routes, schemas, security
from rulepack.evaluator.checks.base import CheckClass, check_index
from rulepack.evaluator.checks.cors_wildcard import CorsWildcard
from rulepack.evaluator.checks.internal_error_leak import InternalErrorLeak
from rulepack.evaluator.checks.literal_status_code import LiteralStatusCode
from rulepack.evaluator.checks.long_function import LongFunction
from rulepack.evaluator.checks.missing_health import MissingHealth
from rulepack.evaluator.checks.no_response_schema import NoResponseSchema
from rulepack.evaluator.checks.on_event import OnEvent
from rulepack.evaluator.checks.pydantic_v1_api import PydanticV1Api
from rulepack.evaluator.checks.sync_route_handler import SyncRouteHandler
from rulepack.evaluator.checks.unversioned_routes import UnversionedRoutes

ALL_CHECKS: tuple[CheckClass, ...] = (
    CorsWildcard,
    InternalErrorLeak,
    LiteralStatusCode,
    LongFunction,
    MissingHealth,
    NoResponseSchema,
    OnEvent,
    PydanticV1Api,
    SyncRouteHandler,
    UnversionedRoutes,
    *routes.CHECKS,
    *security.CHECKS,
    *data.CHECKS,
    *schemas.CHECKS,
    *project.CHECKS,
)
CHECKS_BY_ID = check_index(ALL_CHECKS)
