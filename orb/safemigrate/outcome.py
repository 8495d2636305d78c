"""What a mode returns to the command: the state line, the lines before it, and the JSON document.

A mode that returns an Outcome succeeded (exit 0); every other ending is a SafeMigrateError."""
from dataclasses import dataclass, field


@dataclass
class Outcome:
    state: str
    payload: object = None  # the --json document
    summary: list = field(default_factory=list)  # human lines printed before the state line
