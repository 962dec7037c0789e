"""What is not fine, kept current batch by batch: uid -> Problem (see `ktui.view.triage`).

Each batch is applied object by object: only the pods, Jobs, Deployments and Nodes it upserts
are looked at again, and those it deletes are forgotten, so the work per batch follows the
changes, not the size of the cluster. The header's count and the problems screen both read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ktui.cluster.batcher import ChangeBatch
from ktui.view.triage import TRIAGED_KINDS, Problem, ordered, problem_of


class Triage:
    def __init__(self) -> None:
        self._problems: dict[str, Problem] = {}
        self.version = 0
        """Bumped whenever a problem appears, changes or goes away."""

    def apply(
        self, batch: ChangeBatch, problems: Mapping[str, Problem | None] | None = None
    ) -> set[str]:
        """Look again at what the batch changed; the uids whose problem changed. `problems`:
        the verdicts already read (`model.read_ahead`), uid -> `problem_of(object)`."""
        changed: set[str] = set()
        for kind in TRIAGED_KINDS:
            for uid, obj in batch.upserts.get(kind, {}).items():
                problem = problems[uid] if problems is not None else problem_of(obj)
                if problem is None:
                    if self._problems.pop(uid, None) is not None:
                        changed.add(uid)
                elif self._problems.get(uid) != problem:
                    self._problems[uid] = problem
                    changed.add(uid)
            for uid in batch.deletes.get(kind, ()):
                if self._problems.pop(uid, None) is not None:
                    changed.add(uid)
        if changed:
            self.version += 1
        return changed

    def get(self, uid: str) -> Problem | None:
        return self._problems.get(uid)

    def problems(self, now: datetime) -> list[Problem]:
        """The problems active at `now`, worst first."""
        return ordered(self._problems.values(), now)

    @property
    def total(self) -> int:
        """Problems known, including those not active yet (under their threshold)."""
        return len(self._problems)

    def count(self, now: datetime) -> int:
        return sum(1 for problem in self._problems.values() if problem.active(now))
