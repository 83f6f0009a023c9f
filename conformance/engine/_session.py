"""One started target wired to one fake and one oracle; :meth:`Session.execute` runs a case."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from conformance._outcomes import Delivery
from conformance._words import DestinationProfile
from conformance.checks import Attempt, Run, SentRequest
from conformance.engine._results import Case
from conformance.oracle import FROZEN_AT, Oracle, expect_event, normalize_state
from conformance.targets import Environment, Target, TargetBroken, open_environment
from fake_planhat import FakePlanhat
from fake_planhat.faults import FaultSpec
from fake_planhat.semantics import company_key, id_key

__all__ = ["OTHER_TENANT_TOKEN", "Session", "TargetStartError"]

OTHER_TENANT_TOKEN = "00000000-0000-4000-8000-0000000000ff"  # must stay empty (E-1)
OTHER_API_TOKEN = "fake-planhat-other-tenant-api-token"
JOURNAL_SIZE = 50_000
SETTLE_SECONDS = 0.05  # margin for a delayed answer to reach the journal


class TargetStartError(RuntimeError):
    """The destination under test could not be started, or is broken before any event could
    be judged (a command that crashes on start, a Function that does not parse, an HTTP target
    with nothing listening): one clear error instead of a campaign of failures."""


class Session:
    """A started target wired to one fake and one oracle."""

    def __init__(self, target: Target, profile: DestinationProfile, *, seed: int = 0) -> None:
        self.target = target
        self.profile = profile
        self.fake = FakePlanhat(seed=seed, journal_size=JOURNAL_SIZE)
        self.fake.clock.freeze(FROZEN_AT)
        self.fake.add_tenant(OTHER_TENANT_TOKEN, OTHER_API_TOKEN)
        self.oracle = Oracle(
            seed=seed, tenant_token=self.fake.tenant_token, api_token=self.fake.api_token
        )
        self._env_context = open_environment(self.fake, loopback=target.loopback)
        self.env: Environment | None = None

    def __enter__(self) -> Session:
        self.env = self._env_context.__enter__()
        try:
            self.target.start(self.env)
        except Exception as exc:
            self._env_context.__exit__(type(exc), exc, exc.__traceback__)
            raise TargetStartError(f"{self.target.name} did not start: {exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.target.stop()
        finally:
            self._env_context.__exit__(exc_type, exc, tb)

    @property
    def api_key(self) -> str:
        return self.fake.tenant_token

    def settings(self, subdomain: str | None = "api") -> dict[str, Any]:
        """Valid Segment settings for this run's tenant (``subdomain`` None: left out)."""
        chosen: dict[str, Any] = {"apiKey": self.api_key}
        if subdomain is not None:
            chosen["subdomain"] = subdomain
        return chosen

    def received(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as the destination receives it (a Function gets it through JavaScript's
        JSON, as in Segment's runtime): what its requests are judged against."""
        as_received = getattr(self.target, "as_received", None)
        return as_received(event) if as_received is not None else event

    def execute(self, case: Case, *, replay: bool = True) -> Run:
        """Deliver the case's events in order and return the observed run, oracle included.

        ``replay=False`` skips the oracle's replay and both states: enough for the wire,
        outcome and type rules (S, O, T, W, A), and much cheaper.
        """
        self.fake.reset()  # data, journal and fault rules
        companies = self._existing_companies(case.events)
        tenant = self.fake.tenant()
        with tenant.lock:
            for key in companies:
                tenant.create_company({"name": key, "externalId": key})
        events = [self.received(e) for e in case.events]
        attempts: list[Attempt] = []
        for index, event in enumerate(case.events):
            plan = case.faults.get(index)
            if plan is not None:
                self.fake.faults.add_spec(plan)
            try:
                attempt = self._deliver(index, event, events[index], case.settings[index], plan)
            finally:
                self.fake.faults.clear()
            attempts.append(attempt)
            if case.redeliver and attempt.delivery.outcome == "retry":
                attempts.append(
                    self._deliver(
                        index, event, events[index], case.settings[index], None, redelivery=True
                    )
                )
        expectation = self.oracle.expect(
            self.profile,
            events,
            case.settings,
            times=self._times(events, case, attempts),
            companies=companies,
            replay=replay,
            actions=self._page_actions(events, attempts),
        )
        if not replay:
            return Run(self.profile, events, case.settings, attempts, expectation, {})
        state = normalize_state(self.fake.dump())
        other = normalize_state(self.fake.dump(OTHER_TENANT_TOKEN))
        return Run(self.profile, events, case.settings, attempts, expectation, state, other)

    def _existing_companies(self, events: Sequence[Mapping[str, Any]]) -> list[str]:
        """The accounts the events name (group ``groupId``s, P-3 company keys) already exist, as
        in a real tenant fed by a CRM: activities have somewhere to land, and group calls, under
        the default ``group: metrics`` (P-7), record their numeric traits as metrics on them."""
        keys = {company_key(e) for e in events} | {id_key(e.get("groupId")) for e in events}
        return sorted(k for k in keys if k is not None)

    def _deliver(
        self,
        index: int,
        event: dict[str, Any],
        received: dict[str, Any],
        settings: dict[str, Any],
        plan: FaultSpec | None,
        *,
        redelivery: bool = False,
    ) -> Attempt:
        assert self.env is not None, "use the Session as a context manager"
        last = self.fake.journal.last()
        mark = last.seq if last is not None else 0
        started = time.perf_counter()
        try:
            delivery = self.target.deliver(copy.deepcopy(event), dict(settings))
        except TargetBroken as exc:
            raise TargetStartError(str(exc)) from exc
        except Exception as exc:  # the adapter itself failed: the event's outcome is unknown
            delivery = Delivery("error", f"the target adapter raised {type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        # what the fake had answered when the destination reported its outcome
        answered = {e.seq for e in self.fake.journal.query(since=mark)}
        if plan is not None and plan.latency:
            # a destination that gave up early leaves its request in the fake, still delayed:
            # wait for the fake to answer it, so the journal shows what the request did
            time.sleep(plan.latency + SETTLE_SECONDS)
        requests = []
        for entry in self.fake.journal.query(since=mark):
            request = SentRequest.from_entry(entry, self.env.host_of(entry.host))
            if entry.seq not in answered:
                # the answer did not exist yet when the destination was done: it gave up
                # waiting, and what it saw is a timeout, whatever the fake then logged
                request = dataclasses.replace(request, timed_out=True)
            requests.append(request)
        return Attempt(index, received, settings, delivery, requests, seconds, plan, redelivery)

    def _times(
        self, events: list[dict[str, Any]], case: Case, attempts: Sequence[Attempt]
    ) -> list[int]:
        """How often Planhat should have applied each event: once when it must be sent; as
        often as it was applied when faults made resending legitimate (E-3 allows that)."""
        times = []
        for index, event in enumerate(events):
            expected = expect_event(event, case.settings[index], self.profile)
            mine = [a for a in attempts if a.index == index]
            applied = sum(r.applied for a in mine for r in a.requests)
            faulted = any(a.fault is not None and a.fault.replaces_answer for a in mine)
            slow = any(r.timed_out for a in mine for r in a.requests)
            if faulted or slow or expected.send == "may":
                times.append(applied)
            elif expected.send == "must":
                times.append(max(1, applied))
            else:
                times.append(0)
        return times

    def _page_actions(
        self, events: list[dict[str, Any]], attempts: Sequence[Attempt]
    ) -> dict[int, str]:
        """Profile activities: the action the destination chose for each page (rule A-2 leaves
        page naming open), so the expected state uses it."""
        if self.profile != "activities":
            return {}
        chosen: dict[int, str] = {}
        for attempt in attempts:
            if events[attempt.index].get("type") != "page" or attempt.index in chosen:
                continue
            for request in attempt.requests:
                is_json, body = request.json()
                items = body if is_json and isinstance(body, list) else [body] if is_json else []
                for item in items:
                    action = item.get("action") if isinstance(item, dict) else None
                    if isinstance(action, str) and action:
                        chosen[attempt.index] = action
                        break
                if attempt.index in chosen:
                    break
        return chosen
