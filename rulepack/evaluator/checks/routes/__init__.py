"""Route, API-design and HTTP semantics checks: one module per check, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass
from rulepack.evaluator.checks.routes.di_bypass import DiBypass
from rulepack.evaluator.checks.routes.fire_and_forget import FireAndForgetInRoute
from rulepack.evaluator.checks.routes.get_with_body import GetWithBody
from rulepack.evaluator.checks.routes.http_method_semantics import HttpMethodSemantics
from rulepack.evaluator.checks.routes.httpexception_without_detail import (
    HttpExceptionWithoutDetail,
)
from rulepack.evaluator.checks.routes.id_as_query import IdAsQuery
from rulepack.evaluator.checks.routes.list_without_pagination import ListWithoutPagination
from rulepack.evaluator.checks.routes.missing_auth_on_mutation import MissingAuthOnMutation
from rulepack.evaluator.checks.routes.router_organization import RouterOrganization
from rulepack.evaluator.checks.routes.status_code_semantics import StatusCodeSemantics
from rulepack.evaluator.checks.routes.undocumented_http_exception import (
    UndocumentedHttpException,
)
from rulepack.evaluator.checks.routes.undocumented_route import UndocumentedRoute
from rulepack.evaluator.checks.routes.untyped_request_body import UntypedRequestBody
from rulepack.evaluator.checks.routes.verb_in_path import VerbInPath

CHECKS: tuple[CheckClass, ...] = (
    DiBypass,  # di-bypass
    FireAndForgetInRoute,  # fire-and-forget-in-route
    GetWithBody,  # get-with-body
    HttpMethodSemantics,  # http-method-semantics
    HttpExceptionWithoutDetail,  # httpexception-without-detail
    IdAsQuery,  # id-as-query
    ListWithoutPagination,  # list-without-pagination
    MissingAuthOnMutation,  # missing-auth-on-mutation
    RouterOrganization,  # router-organization
    StatusCodeSemantics,  # status-code-semantics
    UndocumentedHttpException,  # undocumented-http-exception
    UndocumentedRoute,  # undocumented-route
    UntypedRequestBody,  # untyped-request-body
    VerbInPath,  # verb-in-path
)
