"""Rollout operations with kubectl v1.32's exact semantics: status, history, undo, restart,
pause/resume and scale for Deployments, StatefulSets and DaemonSets.

The pure functions (`rollout_status`, `rollout_history`, `history_table`, `template_diff`,
`plan_undo`, `is_rollout_complete`) work on plain dicts as decoded from the API server's JSON;
the others talk to the API server through a `kubernetes.client.ApiClient` used as a transport.
Headless: no textual import.
"""

from ktui.cluster.rollout.actions import pause, restart, restart_patch, resume, scale
from ktui.cluster.rollout.effects import (
    pause_effect,
    restart_effect,
    restart_refusal,
    resume_effect,
)
from ktui.cluster.rollout.history import (
    HistoryRevision,
    controller_revisions,
    deployment_replica_sets,
    history_table,
    rollout_history,
    template_diff,
)
from ktui.cluster.rollout.status import RolloutStatus, is_rollout_complete, rollout_status
from ktui.cluster.rollout.undo import (
    JSON_PATCH,
    STRATEGIC_MERGE_PATCH,
    UndoPlan,
    execute_undo,
    fetch_workload,
    plan_undo,
    undo_target_template,
)
from ktui.cluster.rollout.workload import RolloutError

__all__ = [
    "JSON_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "HistoryRevision",
    "RolloutError",
    "RolloutStatus",
    "UndoPlan",
    "controller_revisions",
    "deployment_replica_sets",
    "execute_undo",
    "fetch_workload",
    "history_table",
    "is_rollout_complete",
    "pause",
    "pause_effect",
    "plan_undo",
    "restart",
    "restart_effect",
    "restart_patch",
    "restart_refusal",
    "resume",
    "resume_effect",
    "rollout_history",
    "rollout_status",
    "scale",
    "template_diff",
    "undo_target_template",
]
