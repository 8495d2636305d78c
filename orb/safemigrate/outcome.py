"""What a mode returns to the command: exit status, the state line, and the JSON document."""
from dataclasses import dataclass, field


@dataclass
class Outcome:
    state: str
    exit_code: int = 0
    payload: object = None  # the --json document
    summary: list = field(default_factory=list)  # human lines printed before the state line
