"""``function:`` targets: a Segment Destination Function under Node."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from conformance.targets._base import (
    DEFAULT_FUNCTION_LIMIT,
    DEFAULT_TIMEOUT,
    HARNESS,
    Environment,
    TargetBroken,
)
from conformance.targets._command import CommandTarget

# --- a Segment Destination Function under Node --------------------------------------------------


class FunctionTarget(CommandTarget):
    """A Segment Destination Function file (``async function onIdentify(event, settings)`` …)
    run under Node 20 by ``harness/function-runner.mjs``, which speaks the NDJSON protocol.

    The function sees the Segment settings only (no ``baseUrl``: a Function does not know about
    it); the harness's ``fetch`` sends ``https://<subdomain>.planhat.com`` to that subdomain's
    loopback port instead, so :meth:`Environment.host_of` still names the host it chose.
    ``limit`` is the per-event execution limit (Segment's is 5 s).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        node: str = "node",
        limit: float = DEFAULT_FUNCTION_LIMIT,
        timeout: float | None = None,
    ) -> None:
        if limit <= 0:
            raise ValueError("the execution limit must be positive")
        self.path = Path(path)
        self.node = node
        self.limit = limit
        super().__init__(
            [node, str(HARNESS), str(self.path)],
            name=f"function:{path}",
            # the harness reports its own limit; this only catches a harness that hangs
            timeout=timeout if timeout is not None else max(DEFAULT_TIMEOUT, 2 * limit),
        )

    def start(self, env: Environment) -> None:
        env.loopback_settings({})
        self._check_loads()
        hosts = json.dumps(env.base_urls, separators=(",", ":"))
        limit_ms = str(max(1, round(self.limit * 1000)))
        self.argv = [self.node, str(HARNESS), str(self.path), "--hosts", hosts]
        self.argv += ["--limit-ms", limit_ms]
        super().start(env)

    def _check_loads(self) -> None:
        """Fail fast: the harness loads the file and exits, so a Function that does not parse
        is one clear error, not a campaign of failures."""
        try:
            checked = subprocess.run(
                [self.node, str(HARNESS), str(self.path), "--check"],
                capture_output=True,
                text=True,
                timeout=max(DEFAULT_TIMEOUT, 2 * self.limit),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TargetBroken(f"{self.name}: the Function could not be loaded: {exc}") from exc
        if checked.returncode != 0:
            said = checked.stderr.strip() or f"exit code {checked.returncode}"
            raise TargetBroken(f"{self.name}: {said}")

    def as_received(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as a Function sees it: Segment's runtime parses it with JavaScript's JSON,
        so every number is a double (integers above 2**53 round, ``1.0`` is ``1``)."""
        converted: dict[str, Any] = as_javascript_sees_it(event)
        return converted

    def settings_for(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The Segment settings unchanged: the harness, not the function, knows the ports."""
        self._environment()
        return {k: v for k, v in settings.items() if k not in ("baseUrl", "analyticsBaseUrl")}


def as_javascript_sees_it(value: Any) -> Any:
    """``value`` after ``JSON.parse`` then ``JSON.stringify`` in JavaScript, read back by
    Python: numbers become doubles; integral ones below 1e21 print as integers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None  # JSON.parse gives Infinity, which JSON.stringify writes as null
        if number != number or number in (float("inf"), float("-inf")):
            return None
        if number.is_integer() and abs(number) < 1e21:
            # JavaScript prints the shortest digits that round-trip, then zeros: 2**64 is
            # 18446744073709552000 there, not 18446744073709551616
            return int(Decimal(repr(number)))
        return number
    if isinstance(value, dict):
        return {k: as_javascript_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_javascript_sees_it(v) for v in value]
    return value
