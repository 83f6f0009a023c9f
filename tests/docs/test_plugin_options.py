"""The pytest plugin's command-line options and the marker's spelling hint (issue 14)."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]


def test_options_are_listed_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    out = result.stdout.str()
    assert "fake-planhat" in out
    for option in (
        "--planhat-tenant-token",
        "--planhat-api-token",
        "--planhat-seed",
        "--planhat-unassigned",
    ):
        assert option in out


def test_token_options_set_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_tokens(planhat, planhat_tenant_token, planhat_api_token):
            assert planhat_tenant_token == "tenant-from-cli"
            assert planhat_api_token == "api-from-cli"
            assert planhat.tenant_token == "tenant-from-cli"
            assert planhat.api_token == "api-from-cli"
        """
    )
    pytester.runpytest(
        "--planhat-tenant-token", "tenant-from-cli", "--planhat-api-token", "api-from-cli"
    ).assert_outcomes(passed=1)


def test_seed_and_unassigned_options_apply_to_every_fake_before_markers(
    pytester: pytest.Pytester,
) -> None:
    seed = {"tenants": {"t-1": {"companies": [{"name": "Acme", "externalId": "acme"}]}}}
    pytester.makefile(".json", seed=json.dumps(seed))
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def planhat_tenant_token():
            return "t-1"
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_seeded_and_discarding(planhat):
            assert [c["name"] for c in planhat.companies()] == ["Acme"]
            assert planhat.settings()["unassigned"] == "discard"

        def test_live_too(planhat_live):
            assert [c["name"] for c in planhat_live.fake.companies()] == ["Acme"]

        @pytest.mark.planhat(unassigned="keep")
        def test_a_marker_still_wins(planhat):
            assert planhat.settings()["unassigned"] == "keep"
        """
    )
    pytester.runpytest(
        "--planhat-seed", "seed.json", "--planhat-unassigned", "discard"
    ).assert_outcomes(passed=3)


def test_a_missing_seed_file_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one(planhat):\n    pass\n")
    result = pytester.runpytest("--planhat-seed", "nope.json")
    assert "--planhat-seed nope.json" in result.stdout.str() + result.stderr.str()
    assert result.ret != 0


def test_marker_with_the_http_apis_camelcase_gets_a_hint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.planhat(faults=[{"path": "/dock/segment", "status": 503, "onCalls": [1]}])
        def test_fault(planhat):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*snake_case names, not the HTTP API's camelCase (onCalls -> on_calls)*"]
    )
