"""What is not fine, kept current batch by batch: uid -> Problem (see `ktui.view.triage`).

Each batch is applied object by object: only the pods, Jobs and Nodes it upserts are looked at
again, and those it deletes are forgotten, so the work per batch follows the changes, not the
size of the cluster. Deployments, StatefulSets and DaemonSets are judged with their pods
(`view.stuck.rollout_problem`): `WorkloadTree` passes the verdicts of the rollout workloads
whose object, ReplicaSets / ControllerRevisions or pods the batch changed, and only those are
looked at again. The header's count and the problems screen both read it.
"""

from __future__ import annotations

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
        self._count: tuple[int, datetime, datetime, int] | None = None
        """(version, valid from, valid until, count): the last `count`."""

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
                if self._problems.pop(uid, None) is not None:
                    changed.add(uid)
            elif self._problems.get(uid) != problem:
                self._problems[uid] = problem
                changed.add(uid)
        for kind in (*TRIAGED_KINDS, *ROLLOUT_TRIAGED_KINDS):
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
        """Problems active at `now` (the header shows it after every batch and each second).

        Counted again only when a problem changed or `now` crossed a moment at which one
        becomes active or stops being so: under churn thousands of pods may be not fine, and
        the count was a walk over all of them each time."""
        cached = self._count
        if cached is not None and cached[0] == self.version and cached[1] <= now < cached[2]:
            return cached[3]
        count = 0
        valid_from: datetime | None = None
        valid_until: datetime | None = None
        for problem in self._problems.values():
            if problem.active(now):
                count += 1
            for edge in (problem.shown_from, problem.shown_until):
                if edge is None:
                    continue
                if edge <= now:
                    valid_from = edge if valid_from is None or edge > valid_from else valid_from
                elif valid_until is None or edge < valid_until:
                    valid_until = edge
        self._count = (
            self.version,
            valid_from if valid_from is not None else datetime.min.replace(tzinfo=now.tzinfo),
            valid_until if valid_until is not None else datetime.max.replace(tzinfo=now.tzinfo),
            count,
        )
        return count
