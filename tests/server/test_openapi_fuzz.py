"""schemathesis against the OpenAPI description: no request, however odd, gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from stackrift.server.app import create_app
from stackrift.server.config import load_settings
from stackrift.server.services import accounts
from stackrift.server.tenancy import SYSTEM, Principal

_TOKEN: dict[str, str] = {}
_STATUSES: set[int] = set()


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app of its own (the fuzzer creates and revokes things), with a unit and a project so
    that small ids reach real objects, and no worker."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(load_settings({"database_url": f"sqlite:///{folder / 'fuzz.sqlite'}",
                                    "data_dir": folder}, env={}), start_worker=False)
    with app.state.sessions() as db:
        admin = accounts.create_user(db, SYSTEM, "fuzzer", is_admin=True)
        _TOKEN["value"] = accounts.create_token(db, Principal(admin.id, "fuzzer",
                                                              is_admin=True)).token
        unit = accounts.create_unit(db, SYSTEM, "fuzz unit")
        from stackrift.server.services.projects import create_project

        create_project(db, SYSTEM, unit.id, "fuzz project")
        db.commit()
    yield app


def _fuzz(case: schemathesis.Case, token: str) -> None:
    # the administrator's token must survive the fuzzer's own DELETE /tokens/{id}
    if case.path == "/api/v1/tokens/{token_id}" and case.path_parameters:
        case.path_parameters["token_id"] = 10_000 + abs(int(case.path_parameters["token_id"]))
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    _STATUSES.add(response.status_code)
    case.validate_response(response, checks=[not_a_server_error])


def test_no_request_gets_a_server_error(fuzzed_app: FastAPI) -> None:
    """Every operation, a few generated requests each (derandomized, so runs repeat)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            _fuzz(case, _TOKEN["value"])

        fuzz()
    # the requests got past authentication to real handlers, and were also refused as invalid
    assert {200, 404, 422} <= _STATUSES, _STATUSES
