"""Progress reporting: the engine never prints; it calls ``progress(event)`` through a
``Reporter``, and the command renders the events (``render.ProgressRenderer``).

Kinds:
  stage      a pipeline stage starts              (message)
  done       a stage finished                     (message, seconds)
  migration  a migration starts / finished        (message; data: name, start; seconds when finished)
  percent    progress of a long copy              (message = label; data: done, total)
  heading    a section of the run begins or ends  (message)
  note       informative line                     (message, verbosity)
  warning    something the operator should know   (message; shown at every verbosity, also
             collected in ``Reporter.warnings`` for the journal record)
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    kind: str
    message: str = ""
    seconds: float | None = None
    verbosity: int = 1
    data: dict[str, Any] = field(default_factory=dict)


def silent(event):
    """A progress callback that ignores everything."""


class Reporter:
    """Small helper the engine uses to emit events through a callback."""

    def __init__(self, callback=None):
        self.callback = callback or silent
        self.warnings = []

    @property
    def verbosity(self):
        """The verbosity the callback shows (1 when it does not say), for code that asks, as
        migrate's signal handlers do."""
        return getattr(self.callback, "verbosity", 1)

    def emit(self, kind, message="", *, seconds=None, verbosity=1, **data):
        self.callback(Event(kind=kind, message=message, seconds=seconds, verbosity=verbosity, data=data))

    def stage(self, message):
        self.emit("stage", message)

    def done(self, message, seconds):
        self.emit("done", message, seconds=seconds)

    @contextmanager
    def timed(self, message, *, timings=None, key=None):
        """A stage that reports its duration when it ends (and stores it in ``timings[key]``)."""
        self.stage(message)
        started = time.monotonic()
        yield
        seconds = time.monotonic() - started
        if timings is not None and key:
            timings[key] = round(seconds, 4)
        self.done(message, seconds)

    def note(self, message, *, verbosity=1):
        self.emit("note", message, verbosity=verbosity)

    def warning(self, message):
        self.warnings.append(message)
        # Shown at every verbosity, also with --json (on stderr): a damaged journal line or
        # a lock taken over must never go unreported.
        self.emit("warning", message, verbosity=0)

    def percent(self, done, total, *, label):
        self.emit("percent", label, verbosity=1, done=done, total=total)
