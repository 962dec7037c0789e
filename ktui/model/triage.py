"""What is not fine, kept current batch by batch: uid -> Problem (see `ktui.view.triage`).

Each batch is applied object by object: only the pods, Jobs and Nodes it upserts are looked at
again, and those it deletes are forgotten, so the work per batch follows the changes, not the
size of the cluster. Deployments, StatefulSets and DaemonSets are judged with their pods
(`view.stuck.rollout_problem`): `WorkloadTree` passes the verdicts of the rollout workloads
whose object, ReplicaSets / ControllerRevisions or pods the batch changed, and only those are
looked at again. The header's count and the problems screen both read it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.view.stuck import StuckReason
from ktui.view.triage import (
    ROLLOUT_TRIAGED_KINDS,
    TRIAGED_KINDS,
    Problem,
    ordered,
    problem_of,
    rollout_stuck_problem,
)

Verdicts = Mapping[str, tuple[dict[str, Any], StuckReason | None]]
"""Rollout workload uid -> (the workload, `rollout_problem`'s verdict on it)."""


class Triage:
    def __init__(self) -> None:
        self._problems: dict[str, Problem] = {}
        self.version = 0
        """Bumped whenever a problem appears, changes or goes away."""
        self._always = 0
        """Problems with neither `shown_from` nor `shown_until`: active at every moment."""
        self._timed = 0
        """Problems with an edge that can be active (`shown_from` before `shown_until`)."""
        self._froms: list[datetime] = []
        self._untils: list[datetime] = []
        """The edges of the timed problems, sorted: `count` bisects them."""

    def apply(
        self,
        batch: ChangeBatch,
        rollouts: Verdicts | None = None,
        problems: Mapping[str, Problem | None] | None = None,
    ) -> set[str]:
        """Look again at what the batch changed, and at the rollout workloads in `rollouts`
        (judged by the caller, with their pods); the uids whose problem changed. A rollout
        workload the batch upserts without a verdict is judged from its object alone.
        `problems`: verdicts already read off the event loop (`model.read_ahead`), uid ->
        `problem_of(object)`; an object missing there is judged here."""
        changed: set[str] = set()
        judged: dict[str, Problem | None] = {}
        for kind in TRIAGED_KINDS:
            for uid, obj in batch.upserts.get(kind, {}).items():
                judged[uid] = (
                    problems[uid] if problems is not None and uid in problems else problem_of(obj)
                )
        for kind in ROLLOUT_TRIAGED_KINDS:
            for uid, obj in batch.upserts.get(kind, {}).items():
                if rollouts is None or uid not in rollouts:
                    judged[uid] = problem_of(obj)
        for uid, (workload, stuck) in (rollouts or {}).items():
            judged[uid] = rollout_stuck_problem(workload, stuck)
        for uid, problem in judged.items():
            if problem is None:
                if self._drop(uid):
                    changed.add(uid)
            elif self._problems.get(uid) != problem:
                self._drop(uid)
                self._problems[uid] = problem
                self._counted(problem, 1)
                changed.add(uid)
        for kind in (*TRIAGED_KINDS, *ROLLOUT_TRIAGED_KINDS):
            for uid in batch.deletes.get(kind, ()):
                if self._drop(uid):
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
        """Problems active at `now` (the header shows it after every batch and each second).

        Kept problem by problem as they change: the always-active ones counted, the edges of
        the timed ones in sorted lists, so a count is two bisections. Under churn thousands of
        pods may be not fine, and every batch changed some of them: the count was a walk over
        all of them each time."""
        not_yet = len(self._froms) - bisect_right(self._froms, now)
        over = bisect_right(self._untils, now)
        return self._always + self._timed - not_yet - over

    def _drop(self, uid: str) -> bool:
        problem = self._problems.pop(uid, None)
        if problem is None:
            return False
        self._counted(problem, -1)
        return True

    def _counted(self, problem: Problem, step: int) -> None:
        """Add (`step` 1) or take away (-1) `problem` in what `count` reads. A problem whose
        `shown_until` is not after its `shown_from` is never active and is not counted."""
        start, end = problem.shown_from, problem.shown_until
        if start is None and end is None:
            self._always += step
            return
        if start is not None and end is not None and end <= start:
            return
        self._timed += step
        # For a timed problem, `from > now` and `until <= now` never hold together: the count
        # takes both away from the timed ones without counting a problem twice.
        for edges, edge in ((self._froms, start), (self._untils, end)):
            if edge is None:
                continue
            if step > 0:
                insort(edges, edge)
            else:
                del edges[bisect_left(edges, edge)]
