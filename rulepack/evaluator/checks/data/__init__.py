"""Database, async and performance checks: one module per check, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass
from rulepack.evaluator.checks.data.blocking_in_async import BlockingInAsync
from rulepack.evaluator.checks.data.db_in_route_handler import DbInRouteHandler
from rulepack.evaluator.checks.data.gzip_middleware import GzipMiddleware
from rulepack.evaluator.checks.data.layer_contract import LayerContract
from rulepack.evaluator.checks.data.legacy_orm import LegacyOrm
from rulepack.evaluator.checks.data.migrations import Migrations
from rulepack.evaluator.checks.data.n_plus_one import NPlusOne
from rulepack.evaluator.checks.data.no_retry import NoRetry
from rulepack.evaluator.checks.data.no_timeout import NoTimeout
from rulepack.evaluator.checks.data.per_request_pool import PerRequestPool
from rulepack.evaluator.checks.data.session_outside_repository import SessionOutsideRepository
from rulepack.evaluator.checks.data.sync_cm_on_async_resource import SyncCmOnAsyncResource
from rulepack.evaluator.checks.data.sync_database_driver import SyncDatabaseDriver
from rulepack.evaluator.checks.data.sync_http_client import SyncHttpClient
from rulepack.evaluator.checks.data.unindexed_filter_column import UnindexedFilterColumn

CHECKS: tuple[CheckClass, ...] = (
    BlockingInAsync,
    DbInRouteHandler,
    GzipMiddleware,
    LayerContract,
    LegacyOrm,
    Migrations,
    NPlusOne,
    NoRetry,
    NoTimeout,
    PerRequestPool,
    SessionOutsideRepository,
    SyncCmOnAsyncResource,
    SyncDatabaseDriver,
    SyncHttpClient,
    UnindexedFilterColumn,
)
