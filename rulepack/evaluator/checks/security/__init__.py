"""Error-handling, security and configuration checks, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass
from rulepack.evaluator.checks.security.domain_exceptions import DomainExceptions
from rulepack.evaluator.checks.security.env_outside_settings import EnvOutsideSettings
from rulepack.evaluator.checks.security.error_shape import ErrorShape
from rulepack.evaluator.checks.security.exception_handlers import ExceptionHandlers
from rulepack.evaluator.checks.security.hardcoded_config import HardcodedConfig
from rulepack.evaluator.checks.security.hardcoded_secret import HardcodedSecret
from rulepack.evaluator.checks.security.jwt_library import JwtLibrary
from rulepack.evaluator.checks.security.oauth2_scheme import Oauth2Scheme
from rulepack.evaluator.checks.security.plaintext_password import PlaintextPassword
from rulepack.evaluator.checks.security.rate_limiter import RateLimiter
from rulepack.evaluator.checks.security.sql_text_interpolation import SqlTextInterpolation
from rulepack.evaluator.checks.security.structured_logging import StructuredLogging
from rulepack.evaluator.checks.security.swallowed_exception import SwallowedException

CHECKS: tuple[CheckClass, ...] = (
    DomainExceptions,
    EnvOutsideSettings,
    ErrorShape,
    ExceptionHandlers,
    HardcodedConfig,
    HardcodedSecret,
    JwtLibrary,
    Oauth2Scheme,
    PlaintextPassword,
    RateLimiter,
    SqlTextInterpolation,
    StructuredLogging,
    SwallowedException,
)
