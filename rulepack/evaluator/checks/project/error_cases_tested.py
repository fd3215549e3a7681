"""error-cases-tested: routes no test exercises with an error or edge case (metric, project)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import is_docs_path, is_health_path
from rulepack.evaluator.checks.project.endpoints import TestSuite, called_endpoints, route_targets
from rulepack.evaluator.checks.project.routes_tested import (
    MAIN,
    ROUTER,
    TESTS_HEAD,
    describe,
    routes_by_handler,
)

_HAPPY = (
    "from fastapi import status\nfrom fastapi.testclient import TestClient\n\n\n"
    "def test_should_create_user_when_payload_valid(client: TestClient) -> None:\n"
    "    response = client.post('/api/v1/users', json={'email': 'ada@example.com'})\n"
    "    assert response.status_code == status.HTTP_201_CREATED\n"
)
_ERRORS = (
    "from fastapi import status as st\nfrom fastapi.testclient import TestClient\n\n\n"
    "def test_should_return_404_when_user_does_not_exist(client: TestClient) -> None:\n"
    "    response = client.get('/api/v1/users/999')\n"
    "    assert response.status_code == st.HTTP_404_NOT_FOUND\n\n\n"
    "def test_should_return_409_when_email_taken(client: TestClient) -> None:\n"
    "    payload = {'email': 'ada@example.com'}\n    client.post('/api/v1/users', json=payload)\n"
    "    response = client.post('/api/v1/users', json=payload)\n"
    "    assert response.status_code == st.HTTP_409_CONFLICT\n"
)


PROBE_SEGMENTS = frozenset(
    {"healthcheck", "health-check", "health_check", "liveness", "readiness", "live", "ready"}
)


def _exempt(path: str) -> bool:
    """Health probes and docs have no failure response to test."""
    path = path.lstrip("…")
    probe = any(segment in PROBE_SEGMENTS for segment in path.lower().split("/"))
    return probe or is_health_path(path) or is_docs_path(path)


class ErrorCasesTested(ProjectCheck):
    """Routes whose tests never exercise an error or an edge case (a metric).

    ## What it does
    Measures every route of the sample (as ``routes-tested`` finds them; health probes and docs
    routes are exempt: ``/health``, ``/healthz``, ``/healthcheck``, ``/ping``, ``/ready`` ...) and
    reports those that no error-case test calls. A test function is one
    when it expects an error status (``status.HTTP_404_NOT_FOUND``, ``HTTPStatus.CONFLICT``,
    ``httpx.codes.NOT_FOUND``, a 4xx/5xx integer in a comparison, in a status helper's arguments
    or in a ``parametrize`` list, ``.is_client_error``), uses ``pytest.raises``, or its name says
    it tests a failure or an edge case (``..._when_offset_is_past_end``, ``invalid``, ``missing``,
    ``without``, ``not_found``, ``duplicate``, ``empty`` ...). When the sample has tests but no
    routes (tests alone), it measures the endpoints the tests call instead. It applies only to
    samples with test files. The rule is a metric: compliance is the share of routes with an
    error-case test.

    ## Why is this bad?
    Happy-path tests leave validation, authorization, missing resources and conflicts untested,
    which is where regressions hide.
    """

    id = "error-cases-tested"
    summary = "route without a test of an error response"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(_ERRORS, path="tests/test_users.py", note="tests only: the called endpoints"),
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/test_users.py": TESTS_HEAD + "from http import HTTPStatus\n\n\n"
                "@pytest.mark.parametrize(('user_id', 'code'), [(1, 200), (999, 404)])\n"
                "def test_get(user_id: int, code: int) -> None:\n"
                "    assert client.get(f'{BASE}/{user_id}').status_code == code\n\n\n"
                "def test_create() -> None:\n"
                "    response = client.post(BASE, json={})\n"
                "    assert response.status_code in (400, 422)\n\n\n"
                "def test_delete() -> None:\n"
                "    response = client.delete(f'{BASE}/999')\n"
                "    assert response.status_code == HTTPStatus.NOT_FOUND\n",
            },
            hits=0,
            note="parametrized codes, a tuple of codes, HTTPStatus",
        ),
        Case(
            files={
                "app/main.py": MAIN + "\n\n@app.get('/health')\nasync def health() -> dict:\n"
                "    return {}\n\n\n@app.get('/healthcheck')\nasync def check() -> dict:\n"
                "    return {}\n",
                "app/routers/users.py": ROUTER,
                "tests/test_users.py": TESTS_HEAD
                + "def test_should_return_empty_page_when_offset_is_past_end() -> None:\n"
                "    assert client.get(f'{BASE}/1?offset=100').status_code == 200\n\n\n"
                "def test_create() -> None:\n"
                "    assert client.post(BASE, json={}).status_code >= 500\n\n\n"
                "def test_delete() -> None:\n"
                "    with pytest.raises(PermissionError):\n"
                "        client.delete(f'{BASE}/1')\n",
            },
            hits=0,
            note="an edge case by its name, a server error, pytest.raises; health is exempt",
        ),
        Case(
            files={"app/main.py": MAIN, "app/routers/users.py": ROUTER},
            hits=0,
            note="no tests: not applicable here (routes-tested reports it)",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_HAPPY, path="tests/test_users.py", note="tests only: one happy-path endpoint"),
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/test_users.py": TESTS_HEAD + "def test_get() -> None:\n"
                "    assert client.get(f'{BASE}/1').status_code == 200\n\n\n"
                "def test_create() -> None:\n"
                "    assert client.post(BASE, json={}).status_code == 201\n\n\n"
                "def test_service_raises() -> None:\n"
                "    with pytest.raises(LookupError):\n        find_user(999)\n",
            },
            hits=3,
            note="happy paths only; pytest.raises in a test that calls no route does not count",
        ),
    )

    def applies(self) -> bool:
        """Samples with test files and routes or endpoint calls to measure."""
        suite = TestSuite.of(self.project)
        return bool(suite.test_files) and bool(
            route_targets(self.project) or called_endpoints(suite)
        )

    def run(self) -> Iterator[Hit]:
        """Measure every route (or called endpoint) and report those without an error test."""
        suite = TestSuite.of(self.project)
        targets = route_targets(self.project)
        if not targets:
            yield from self._endpoints(suite)
            return
        for (module_path, route), paths in routes_by_handler(targets).items():
            if all(_exempt(target.display) for target in paths):
                continue
            self.measured()
            if any(suite.tests_error_case(target) for target in paths):
                continue
            yield Hit(
                module_path,
                route.span,
                f"no test exercises an error or edge case of {describe(paths)} "
                f"(`{route.function}`); test its failure responses (404, 422, 401/403, 409) "
                "and boundary values too",
            )

    def _endpoints(self, suite: TestSuite) -> Iterator[Hit]:
        for (method, _), calls in called_endpoints(suite).items():
            self.measured()
            if any(call.function in suite.error_tests for call in calls if call.function):
                continue
            first = calls[0]
            yield Hit(
                first.path,
                first.span,
                f"no test exercises an error or edge case of `{(method or '*').upper()} "
                f"{first.text}`; test its failure responses (404, 422, 401/403, 409) and "
                "boundary values too",
            )
