"""``conformance.pytest_tests.conformance_tests``: one pytest test per rule, run with pytester."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

BROKEN = textwrap.dedent(
    """
    import copy
    from conformance.reference import segment_httpx

    def handle(event, settings):
        event = copy.deepcopy(event)
        if isinstance(event.get("context"), dict):
            event["context"].pop("library", None)  # breaks W-4; only generated events show it
        segment_httpx.handle(event, settings)
    """
)


def test_reference_gives_one_passing_test_per_rule(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_planhat="""
        from conformance.pytest_tests import conformance_tests

        test_planhat = conformance_tests(
            target="reference", profile="segment", rules=["S-1", "W-4", "E-1"], max_examples=3
        )
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*test_planhat[[]S-1[]] PASSED*", "*test_planhat[[]E-1[]] PASSED*"]
    )


def test_every_rule_of_the_profile_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_planhat="""
        from conformance.pytest_tests import conformance_tests

        test_planhat = conformance_tests(target="reference", profile="activities")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_planhat[[]A-1[]]*", "*test_planhat[[]E-3[]]*"])
    assert "W-4" not in result.stdout.str()


def test_failure_is_reported_and_saved_for_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same default as the CLI: the database named by $PLANHAT_CONFORMANCE_DATABASE
    monkeypatch.setenv("PLANHAT_CONFORMANCE_DATABASE", ".hypothesis/conformance")
    pytester.makepyfile(broken_dest=BROKEN)
    pytester.makepyfile(
        test_broken="""
        from conformance.pytest_tests import conformance_tests

        test_planhat = conformance_tests(
            target="py:broken_dest.py:handle", rules=["W-4", "A-1"], max_examples=10
        )
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL W-4 body is the event, unchanged*",
            "*Minimal event sequence (1 event):*",
            "*A-1 (activities endpoint) was not exercised by any run*",
        ]
    )
    database = pytester.path / ".hypothesis" / "conformance"
    assert database.is_dir()
    assert any(path.is_file() for path in database.rglob("*"))

    again = pytester.runpytest("-p", "no:cacheprovider", "-k", "W-4")
    again.assert_outcomes(failed=1, deselected=1)
    again.stdout.fnmatch_lines(["*FAIL W-4 body is the event, unchanged*"])


def test_one_campaign_serves_every_rule_test(pytester: pytest.Pytester) -> None:
    """The pytest form costs what the CLI costs: one campaign for all its rule tests."""
    pytester.makepyfile(
        test_planhat="""
        import conformance.pytest_tests as form

        campaigns = []
        run_campaign = form.run_campaign


        def counted(*args, **kwargs):
            campaigns.append(kwargs.get("rules"))
            return run_campaign(*args, **kwargs)


        form.run_campaign = counted
        test_planhat = form.conformance_tests(
            target="reference", rules=["S-1", "T-4", "W-4", "E-1"], max_examples=3
        )


        def test_zz_one_campaign_ran_for_all_four():
            assert campaigns == [("S-1", "T-4", "W-4", "E-1")]
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
