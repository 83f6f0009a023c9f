"""One word per concept, as the CLI's flags name them.

- **destination profile** (``--profile``): what kind of destination is under test, ``segment``
  (it forwards each event to ``/dock/segment``) or ``activities`` (it posts user activities).
- **event mix** (``--events``): which events the exploration draws, ``realistic`` or
  ``hostile``.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["DESTINATION_PROFILES", "EVENT_MIXES", "DestinationProfile", "EventMix"]

DestinationProfile = Literal["segment", "activities"]
DESTINATION_PROFILES: Final[tuple[DestinationProfile, ...]] = ("segment", "activities")
EventMix = Literal["realistic", "hostile"]
EVENT_MIXES: Final[tuple[EventMix, ...]] = ("realistic", "hostile")
