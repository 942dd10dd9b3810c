"""Schemathesis against the OpenAPI document, through a real server process: every response (success or
error) conforms to the document, nothing answers 5xx, and stateful sequences follow the document's links.
Examples are bounded (a few hundred in all) and run without deadlines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from interview_engine_server.api import ENDPOINTS
from interview_engine_server.openapi import openapi_document
from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

schema = schemathesis.openapi.from_dict(openapi_document(ENDPOINTS, server_url="http://127.0.0.1"))
EXAMPLES = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
EXCLUDED_CHECKS = [positive_data_acceptance]
"""Schema-valid input is refused on purpose where the document cannot say why: an id that matches its
pattern but names nothing (404), answering a question that is not current (409). Every such refusal is
still checked to be a documented status with a conforming error body."""


class Live:
    def __init__(self, process: ServerProcess) -> None:
        self.process = process
        credentials = process.credentials()
        self.api_key = credentials.api_key
        self.client = httpx.Client(base_url=process.url, timeout=10)
        self._login = {"tenant": credentials.tenant_id, "email": credentials.admin_email,
                       "password": credentials.admin_password}
        self.recruiter = self.login()
        created = self.client.post("/v1/interviews", json={"spec": {"role": "Schema"}},
                                   headers=self.bearer(self.api_key)).json()
        self.candidate = created["candidate"]["token"]

    def login(self) -> str:
        token: str = self.client.post("/v1/auth/login", json=self._login).json()["access_token"]
        return token

    @staticmethod
    def bearer(credential: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential}"}

    def headers_for(self, case: Any) -> dict[str, str]:
        security = case.operation.definition.raw.get("security") or []
        kinds = [next(iter(s)) for s in security]
        if case.operation.definition.raw["operationId"] == "logout":
            return self.bearer(self.login())  # a fresh session, so the shared one lives on
        if "api_key" in kinds:
            return self.bearer(self.api_key)
        if "recruiter" in kinds:
            return self.bearer(self.recruiter)
        if "candidate" in kinds:
            return self.bearer(self.candidate)
        return {}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("schema")
    environment = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/db.sqlite"}
    with ServerProcess(workdir, environment) as process:
        running = Live(process)
        yield running
        running.client.close()


@schema.parametrize()
@EXAMPLES
def test_every_response_conforms_to_the_document(case: Any, live: Live) -> None:
    case.call_and_validate(base_url=live.process.url, headers=live.headers_for(case),
                           excluded_checks=EXCLUDED_CHECKS)


def test_stateful_sequences_follow_the_links(live: Live) -> None:
    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": live.process.url, "headers": live.headers_for(case)}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)

    Machine.run(settings=settings(max_examples=15, stateful_step_count=5, deadline=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck)))
