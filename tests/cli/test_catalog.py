"""`stackrift catalog list --json` and `catalog show` through the real entry point."""

from __future__ import annotations

import json

import pytest

from stackrift.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_catalog_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2026-11-15"
    vendors = data["vendors"]
    assert len(vendors) >= 40
    assert sum(len(v["products"]) for v in vendors) >= 80
    for vendor in vendors:
        assert vendor["bloc"] in {"us", "cn", "eu", "other", "unknown"}
        assert "country" in vendor
        assert (vendor["country"] is None) == (vendor["bloc"] == "unknown")
        status = vendor["entity_list"]
        assert set(status) >= {"listed", "since", "citation"}
        if status["listed"]:
            assert status["since"] and status["citation"], vendor["id"]
        else:
            assert status["since"] is None
            assert status["status"].startswith("not listed as of ")
    huawei = next(v for v in vendors if v["id"] == "huawei")
    assert huawei["entity_list"]["since"] == "2019-05-16"
    assert "84 FR 22961" in huawei["entity_list"]["citation"]


def test_catalog_show_product(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "Ascend 910B", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["vendor"]["id"] == "huawei"
    assert data["controls"][0]["regime"] == "EAR GP10"
    assert "nvidia-h100" in data["equivalents"]


def test_catalog_show_unknown_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "show", "Nimbus Compute")
    assert code == 2
    assert "neither a catalogued vendor nor product" in err


def test_catalog_show_operator_lists_its_regions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "21Vianet", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["entity_list"]["status"] == "not listed as of 2026-11-15"
    assert {r["code"] for r in data["regions"]} >= {"chinanorth2", "chinaeast2", "chinanorth3"}
    assert all(r["provider"] == "microsoft" and r["country"] == "CN" for r in data["regions"])
