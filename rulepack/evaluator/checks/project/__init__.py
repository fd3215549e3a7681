"""Project, testing, documentation and dependency checks, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass
from rulepack.evaluator.checks.project.async_tests_marked import AsyncTestsMarked
from rulepack.evaluator.checks.project.dependency_manifest import DependencyManifest
from rulepack.evaluator.checks.project.dev_dependencies_separated import DevDependenciesSeparated
from rulepack.evaluator.checks.project.dir_names import DirNames
from rulepack.evaluator.checks.project.env_example import EnvExample
from rulepack.evaluator.checks.project.error_cases_tested import ErrorCasesTested
from rulepack.evaluator.checks.project.graceful_shutdown import GracefulShutdown
from rulepack.evaluator.checks.project.no_unittest_setup import NoUnittestSetup
from rulepack.evaluator.checks.project.pinned_dependencies import PinnedDependencies
from rulepack.evaluator.checks.project.project_layout import ProjectLayout
from rulepack.evaluator.checks.project.readme_setup import ReadmeSetup
from rulepack.evaluator.checks.project.request_id import RequestId
from rulepack.evaluator.checks.project.routes_tested import RoutesTested
from rulepack.evaluator.checks.project.semver_version import SemverVersion
from rulepack.evaluator.checks.project.test_client_used import TestClientUsed
from rulepack.evaluator.checks.project.test_names import TestNames

CHECKS: tuple[CheckClass, ...] = (
    AsyncTestsMarked,
    DependencyManifest,
    DevDependenciesSeparated,
    DirNames,
    EnvExample,
    ErrorCasesTested,
    GracefulShutdown,
    NoUnittestSetup,
    PinnedDependencies,
    ProjectLayout,
    ReadmeSetup,
    RequestId,
    RoutesTested,
    SemverVersion,
    TestClientUsed,
    TestNames,
)
