"""Rendering engine events for a terminal, styled like Django's own ``migrate`` output."""


class ProgressRenderer:
    def __init__(self, out, *, style, verbosity):
        self.out = out
        self.style = style
        self.verbosity = verbosity
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.open_line = False
        self.last_percent = {}
        self.open_stage = None

    def _write(self, text, *, ending="\n"):
        self.out.write(text, ending=ending)
        self.out.flush()

    def _close_line(self):
        if self.open_line:
            self._write("")
            self.open_line = False

    def __call__(self, event):
        if event.verbosity > self.verbosity:
            return
        kind = event.kind
        if kind == "stage":
            self._close_line()
            self._write(self.style.MIGRATE_HEADING(event.message + "..."), ending="")
            self.open_line = True
            self.open_stage = event.message
        elif kind == "done":
            if self.open_line and getattr(self, "open_stage", None) == event.message:
                self._write(self.style.SUCCESS(" OK") + f" ({event.seconds:.2f}s)")
                self.open_line = False
            elif self.verbosity >= 2:
                self._close_line()
                self._write(f"  {event.message}: done in {event.seconds:.2f}s")
        elif kind == "migration":
            if event.data.get("start"):
                self._close_line()
                self._write(f"  {event.message}", ending="")
                self.open_line = True
            else:  # " FAKED", as migrate says, for a migration marked without running (--fake)
                done = " FAKED" if event.data.get("fake") else " OK"
                self._write(self.style.SUCCESS(done) + f" ({event.seconds:.3f}s)")
                self.open_line = False
        elif kind == "percent":
            done, total = event.data["done"], event.data["total"] or 1
            pct = int(100 * done / total)
            if self.tty:
                self._write(f"\r  {event.message}: {pct:3d}%", ending="")
                self.open_line = pct < 100
                if pct >= 100:
                    self._write("")
            else:
                step = 25 if self.verbosity < 2 else 10
                last = self.last_percent.get(event.message, -1)
                if pct // step > last // step or (pct == 100 and last != 100):
                    self._close_line()
                    self._write(f"  {event.message}: {pct}%")
                    self.last_percent[event.message] = pct
        elif kind == "heading":
            self._close_line()
            self._write(self.style.MIGRATE_HEADING(event.message))
        elif kind == "note":
            self._close_line()
            self._write(f"  {event.message}")
        elif kind == "warning":
            self._close_line()
            self._write(self.style.WARNING(f"Warning: {event.message}"))

    def finish(self):
        self._close_line()
