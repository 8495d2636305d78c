"""Consistency warnings on the record: a sludge tank that lost volume unexplained.

A Code C (sludge) tank whose volume falls between two soundings without a
Code C 12.x disposal entry in between gets one warning, until an entry
explains it. (Stub: filled in by issue 14's engine-room work.)
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class SludgeWarning:
    """One unexplained fall of a sludge tank's volume between two soundings."""

    tank: str
    earlier: datetime
    later: datetime
    fall_m3: Decimal
    text: str


def sludge_warnings():
    """Every unexplained fall of a sludge tank's volume, oldest first."""
    return []
