"""The one exception type for mistakes in what the user gave us.

Every user-facing failure (a scenario file, a detections file, a command-line value) is raised as
:class:`InputError`; the command line prints its message and exits with code 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    field: str
    message: str


class InputError(Exception):
    """A user input is invalid.

    ``source`` names the file (or ``"command line"``); each problem names its field path (``raids[0].speed_mps``)
    or row/column and says what was expected.
    """

    def __init__(self, source: str, problems: Sequence[Problem] | Problem | str, field: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(field, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{self.source}: {p.field}" if p.field else self.source
            lines.append(f"{where}: {p.message}")
        return "\n".join(lines)


# Historical name used in the design notes.
ScenarioError = InputError


class RenamedFieldWarning(FutureWarning):
    """A file names a field by its old name: it is still read, with the same meaning, under its new name.

    The command line prints it once as a note; library users see an ordinary :class:`FutureWarning`.
    """
