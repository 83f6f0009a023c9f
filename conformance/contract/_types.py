"""T: which event types are delivered, and the ``integrations`` switch (contract section 1)."""

from __future__ import annotations

from conformance.checks import PASS, Attempt, Run, Verdict, each_attempt, fail, kind
from conformance.contract._rule import Rule
from conformance.oracle import CORE_TYPES, integrations_note, integrations_verdict

T1 = Rule(
    "T-1",
    "core types delivered",
    "identify, track, page, group are delivered.",
    depends_on=("S-1",),
    scenarios=frozenset({"story", "types", "large"}),
)
T2 = Rule(
    "T-2",
    "alias optional",
    "alias may be delivered or skipped (`ok` either way); Planhat ignores it (rule P-9).",
    depends_on=("S-1",),
    scenarios=frozenset({"story", "types"}),
)
T3 = Rule(
    "T-3",
    "other types unsupported",
    "screen, and any other type (`delete`, unknown) → `unsupported`, nothing sent.",
    depends_on=("S-1",),
    scenarios=frozenset({"story", "types"}),
)
T4 = Rule(
    "T-4",
    "integrations can disable Planhat",
    'An event whose `integrations` object disables Planhat (`"Planhat": false`, or '
    '`"All": false` without `"Planhat": true`) → `ok` with nothing sent (decided); names are '
    'case-sensitive (`"planhat": false` does not disable). An options object '
    '(`"Planhat": {…}`, empty or not) counts as `true`, as Segment treats destination options: '
    'it enables Planhat, also under `"All": false`.',
    depends_on=("S-1",),
    scenarios=frozenset({"types"}),
)


def _requests_text(run: Run, attempt: Attempt) -> str:
    return "\n".join(
        f"{r.method} https://{r.host}{r.paths[0]}" for r in run.expected(attempt.index).requests
    )


@each_attempt(
    T1,
    where=lambda run, a: run.expected(a.index).send == "must" and kind(a.event) in CORE_TYPES,
)
def check_core_types(run: Run, attempt: Attempt) -> Verdict:
    """T-1: identify, track, page and group are delivered."""
    if not attempt.requests or attempt.delivery.outcome == "unsupported":
        return fail(
            f"a {kind(attempt.event)} must be delivered to Planhat",
            expected=_requests_text(run, attempt),
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(T2, where=lambda run, a: run.expected(a.index).because == "T-2")
def check_alias(run: Run, attempt: Attempt) -> Verdict | None:
    """T-2: alias may be delivered or skipped, ok either way."""
    if attempt.requests and not attempt.requests[-1].answered_2xx:
        return None  # Planhat refused or failed: the outcome rules judge
    if attempt.delivery.outcome != "ok":
        return fail(
            "an alias is delivered or skipped with outcome ok",
            expected="outcome: ok",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(T3, where=lambda run, a: run.expected(a.index).because == "T-3")
def check_unsupported(run: Run, attempt: Attempt) -> Verdict:
    """T-3: screen and other types -> unsupported, nothing sent."""
    if attempt.requests or attempt.delivery.outcome != "unsupported":
        return fail(
            f"{run.expected(attempt.index).note}: outcome unsupported, with nothing sent",
            expected="(nothing sent)\noutcome: unsupported",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(
    T4,
    where=lambda run, a: (
        run.expected(a.index).because != "S-1"
        and integrations_note(a.event.get("integrations")) is not None
    ),
)
def check_integrations(run: Run, attempt: Attempt) -> Verdict:
    """T-4: integrations that disable Planhat -> ok, nothing sent; names are case-sensitive;
    an options object enables."""
    expected = run.expected(attempt.index)
    integrations = attempt.event.get("integrations")
    note = integrations_note(integrations)
    switch = integrations_verdict(integrations)
    if switch == "disabled" and (
        attempt.requests or attempt.delivery.outcome not in expected.outcomes
    ):
        allowed = " or ".join(sorted(expected.outcomes))
        return fail(
            f"{note}: outcome {allowed}, with nothing sent",
            expected=f"(nothing sent)\noutcome: {allowed}",
            received=attempt.summary(),
            event=attempt.index,
        )
    if (
        switch == "unclear"
        and not attempt.requests
        and attempt.delivery.outcome not in expected.outcomes
    ):
        return fail(
            f"{note}: skipping it is fine, but with outcome ok",
            expected="outcome: ok",
            received=attempt.summary(),
            event=attempt.index,
        )
    if switch == "enabled" and expected.send == "must" and not attempt.requests:
        return fail(
            f"{note}, yet nothing was sent",
            expected=_requests_text(run, attempt),
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


RULES = (T1, T2, T3, T4)
