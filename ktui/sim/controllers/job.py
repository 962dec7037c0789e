"""The Job controller (pkg/controller/job/job_controller.go: v1.20, plus v1.21's `suspend`).

Runs `parallelism` pods at a time (never more than the completions still missing) from the
template (generateName `<job>-`; the store adds the `controller-uid` / `job-name` labels and
selector on create), counts Succeeded / Failed pods, and finishes the Job:

- `Complete` (status True, completionTime) once `completions` pods succeeded (without
  completions: once one succeeded and none is active);
- `Failed` reason `BackoffLimitExceeded` ("Job has reached the specified backoff limit") when a
  new failure makes more than backoffLimit failed pods (while fewer than parallelism pods are
  active), or for restartPolicy OnFailure when the restarts of running pods reach backoffLimit;
  reason `DeadlineExceeded` ("Job was active longer than specified deadline") once
  activeDeadlineSeconds have passed since startTime (controller clock); active pods are deleted;
- `suspend: true` deletes active pods and sets `Suspended=True` (JobSuspended); resuming sets it
  False (JobResumed) and restarts startTime.

A failed pod requeues its Job after the job back-off (10s doubling up to 360s, in real time;
both configurable). status: startTime, completionTime, active, succeeded, failed, conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import (
    Controller,
    ControllerContext,
    Informer,
    OwnedObjects,
    claim_objects,
    create_pod_from_template,
    deep_copy,
    delete_pod,
    recheck_owner,
)
from ktui.sim.store import StoreError

Obj = dict[str, Any]

DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 360.0
STATUS_UPDATE_RETRIES = 3


class FailedPodsDetected(Exception):
    pass


def is_job_finished(job: Mapping[str, Any]) -> bool:
    for cond in (job.get("status") or {}).get("conditions") or ():
        if (
            isinstance(cond, Mapping)
            and cond.get("type") in ("Complete", "Failed")
            and cond.get("status") == "True"
        ):
            return True
    return False


def finished_condition(job: Mapping[str, Any]) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or ():
        if (
            isinstance(cond, Mapping)
            and cond.get("type") in ("Complete", "Failed")
            and cond.get("status") == "True"
        ):
            return str(cond["type"])
    return None


def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> Obj:
    stamp = util.rfc3339(now)
    cond: Obj = {
        "type": type_,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def render_status(status: Mapping[str, Any]) -> Obj:
    out: Obj = {}
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    for key in ("startTime", "completionTime"):
        if status.get(key):
            out[key] = status[key]
    for key in ("active", "succeeded", "failed"):
        if util.int_field(status, key):
            out[key] = util.int_field(status, key)
    return out


class JobController(Controller):
    name = "job-controller"
    kind = "Job"
    api_version = "batch/v1"

    def __init__(
        self,
        ctx: ControllerContext,
        backoff_base: float = DEFAULT_BACKOFF,
        backoff_max: float = MAX_BACKOFF,
    ) -> None:
        super().__init__(ctx)
        self.queue.base_delay = backoff_base
        self.queue.max_delay = backoff_max

    def register(self) -> None:
        self.jobs: Informer = self.informers.informer("batch", "jobs")
        self.pods: Informer = self.informers.informer("", "pods")
        self.jobs.add_handler(
            on_add=self.enqueue, on_update=self._job_updated, on_delete=self.enqueue
        )
        self.owned_pods = OwnedObjects(
            self.jobs,
            self.kind,
            lambda job: self._enqueue_job(job, True),
            deleting_update_is_delete=True,
        )
        self.pods.add_handler(
            on_add=self.owned_pods.added,
            on_update=self._pod_updated,
            on_delete=self.owned_pods.enqueue_owner,
        )

    def resync(self) -> None:
        for job in self.jobs.list():
            self.enqueue(job)

    # --- events ----------------------------------------------------------------------------

    def _job_updated(self, old: Obj, new: Obj) -> None:
        self.enqueue(new)
        old_deadline = (old.get("spec") or {}).get("activeDeadlineSeconds")
        new_deadline = (new.get("spec") or {}).get("activeDeadlineSeconds")
        if new_deadline is not None and new_deadline != old_deadline:
            start = util.parse_time((new.get("status") or {}).get("startTime"))
            if start is not None:
                remaining = start + int(new_deadline) - self.clock()
                self.queue.add_after(util.key_of(new), max(remaining, 0.0))

    def _enqueue_job(self, job: Obj, immediate: bool) -> None:
        key = util.key_of(job)
        if immediate:
            self.queue.add(key)
            return
        requeues = self.queue.num_requeues(key)
        if requeues <= 0:
            self.queue.add(key)
            return
        backoff = min(self.queue.base_delay * 2 ** (requeues - 1), self.queue.max_delay)
        self.queue.add_after_real(key, backoff)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        # A failed pod backs the job off; any other change is looked at right away.
        immediate = util.pod_phase(new) != "Failed"
        self.owned_pods.updated(old, new, lambda job: self._enqueue_job(job, immediate))

    # --- the loop --------------------------------------------------------------------------

    def process(self, key: str) -> None:
        try:
            forget, error, after = self._sync_job(key)
        except Exception as exc:
            if self.queue.shutting_down:
                return
            if isinstance(exc, StoreError) and exc.code in (404, 409):
                pass
            else:
                self._log_error(key, repr(exc), exc_info=not isinstance(exc, StoreError))
            self.queue.add_rate_limited(key)
            return
        if after is not None:
            self.queue.add_after(key, after)
        if error is None:
            if forget:
                self.queue.forget(key)
            return
        if not isinstance(error, FailedPodsDetected):
            self._log_error(key, repr(error))
        self.queue.add_rate_limited(key)

    def sync(self, key: str) -> float | None:
        _, error, after = self._sync_job(key)
        if error is not None:
            raise error
        return after

    def _pods_for(self, job: Obj) -> list[Obj]:
        selector = util.selector_of(job)
        namespace = util.namespace_of(job)
        candidates = [*self.pods.controlled_by(util.uid_of(job)), *self.pods.orphans(namespace)]
        return claim_objects(
            self,
            job,
            self.api_version,
            self.kind,
            "",
            "pods",
            candidates,
            lambda p: not selector.empty and selector.matches(util.labels_of(p)),
            recheck_owner(self, "batch", "jobs", job),
        )

    def _sync_job(self, key: str) -> tuple[bool, Exception | None, float | None]:
        namespace, name = util.split_key(key)
        cached = self.jobs.get(namespace, name)
        if cached is None:
            return True, None, None
        job = deep_copy(cached)
        if is_job_finished(job):
            return True, None, None
        now = self.clock()
        spec = job.get("spec") or {}
        pods = self._pods_for(job)
        active_pods = [p for p in pods if util.is_pod_active(p)]
        active = len(active_pods)
        succeeded = sum(1 for p in pods if util.pod_phase(p) == "Succeeded")
        failed = sum(1 for p in pods if util.pod_phase(p) == "Failed")
        status = dict(job.get("status") or {})
        conditions = [dict(c) for c in status.get("conditions") or () if isinstance(c, dict)]
        condition_count = len(conditions)
        suspended = bool(spec.get("suspend"))
        after: float | None = None
        start_changed = False
        if not status.get("startTime") and not suspended:
            status["startTime"] = util.rfc3339(now)
            start_changed = True
            if spec.get("activeDeadlineSeconds") is not None:
                after = float(spec["activeDeadlineSeconds"])
        parallelism = util.int_field(spec, "parallelism", 1)
        backoff_limit = util.int_field(spec, "backoffLimit", 6)
        have_new_failure = failed > util.int_field(status, "failed")
        exceeds_backoff = have_new_failure and active != parallelism and failed > backoff_limit
        failure_reason = failure_message = ""
        if exceeds_backoff or _past_backoff_limit_on_failure(job, pods):
            failure_reason = "BackoffLimitExceeded"
            failure_message = "Job has reached the specified backoff limit"
        elif _past_active_deadline(job, status, now):
            failure_reason = "DeadlineExceeded"
            failure_message = "Job was active longer than specified deadline"
        manage_error: Exception | None = None
        suspend_changed = False
        if failure_reason:
            for pod in active_pods:
                try:
                    delete_pod(self, job, pod)
                except Exception as exc:
                    if manage_error is None:
                        manage_error = exc
            failed += active
            active = 0
            conditions.append(new_condition("Failed", "True", failure_reason, failure_message, now))
            self.record(job, "Warning", failure_reason, failure_message)
        else:
            manage_called = False
            if not util.is_deleting(job):
                active, manage_error = self._manage_job(job, active_pods, succeeded)
                manage_called = True
            complete = False
            completions = spec.get("completions")
            if completions is None:
                complete = succeeded > 0 and active == 0
            elif succeeded >= int(completions):
                complete = True
                if active > 0:
                    self.record(
                        job,
                        "Warning",
                        "TooManyActivePods",
                        "Too many active pods running after completion count reached",
                    )
                if succeeded > int(completions):
                    self.record(
                        job,
                        "Warning",
                        "TooManySucceededPods",
                        "Too many succeeded pods running after completion count reached",
                    )
            if complete:
                conditions.append(new_condition("Complete", "True", "", "", now))
                status["completionTime"] = util.rfc3339(now)
                self.record(job, "Normal", "Completed", "Job completed")
            elif manage_called:
                if suspended:
                    suspend_changed = _ensure_condition(
                        conditions, "Suspended", "True", "JobSuspended", "Job suspended", now
                    )
                    if suspend_changed:
                        self.record(job, "Normal", "Suspended", "Job suspended")
                else:
                    suspend_changed = _ensure_condition(
                        conditions, "Suspended", "False", "JobResumed", "Job resumed", now
                    )
                    if suspend_changed:
                        self.record(job, "Normal", "Resumed", "Job resumed")
                        status["startTime"] = util.rfc3339(now)
                        if spec.get("activeDeadlineSeconds") is not None:
                            after = float(spec["activeDeadlineSeconds"])
        if after is None and not failure_reason and spec.get("activeDeadlineSeconds") is not None:
            # Look again when the deadline passes, also after a restart of the controller.
            start = util.parse_time(status.get("startTime"))
            if start is not None and not suspended:
                after = max(start + int(spec["activeDeadlineSeconds"]) - now, 0.0) + 0.001
        forget = util.int_field(status, "succeeded") < succeeded
        if (
            util.int_field(status, "active") != active
            or util.int_field(status, "succeeded") != succeeded
            or util.int_field(status, "failed") != failed
            or len(conditions) != condition_count
            or suspend_changed
            or start_changed
        ):
            status.update(
                {
                    "active": active,
                    "succeeded": succeeded,
                    "failed": failed,
                    "conditions": conditions,
                }
            )
            job["status"] = render_status(status)
            self._write_status(job)
            if have_new_failure and not is_job_finished(job):
                return (
                    forget,
                    FailedPodsDetected(f"failed pod(s) detected for job key {key!r}"),
                    after,
                )
            forget = True
        return forget, manage_error, after

    def _write_status(self, job: Obj) -> None:
        """updateJobStatus: re-read, set the status, write (a few tries on conflict)."""
        last: StoreError | None = None
        for _ in range(STATUS_UPDATE_RETRIES + 1):
            try:
                fresh = self.client.get("batch", "jobs", util.namespace_of(job), util.name_of(job))
            except StoreError as exc:
                last = exc
                break
            fresh["status"] = job["status"]
            try:
                self.api_update_status("batch", "jobs", fresh)
                return
            except StoreError as exc:
                last = exc
                if exc.code != 409:
                    break
        assert last is not None
        raise last

    def _manage_job(
        self, job: Obj, active_pods: list[Obj], succeeded: int
    ) -> tuple[int, Exception | None]:
        spec = job.get("spec") or {}
        active = len(active_pods)
        first_error: Exception | None = None
        if spec.get("suspend"):
            to_delete = sorted(active_pods, key=util.active_pod_sort_key)
            for pod in to_delete:
                try:
                    delete_pod(self, job, pod)
                    active -= 1
                except Exception as exc:
                    if first_error is None:
                        first_error = exc
            return active, first_error
        parallelism = util.int_field(spec, "parallelism", 1)
        if active > parallelism:
            diff = active - parallelism
            ordered = sorted(active_pods, key=util.active_pod_sort_key)
            active -= diff
            for pod in ordered[:diff]:
                try:
                    delete_pod(self, job, pod)
                except StoreError as exc:
                    if exc.code != 404:
                        active += 1
                        if first_error is None:
                            first_error = exc
            return active, first_error
        if active < parallelism:
            completions = spec.get("completions")
            if completions is None:
                want = active if succeeded > 0 else parallelism
            else:
                want = min(int(completions) - succeeded, parallelism)
            diff = max(want - active, 0)
            if diff == 0:
                return active, None
            template = spec.get("template") or {}
            active += diff
            batch = min(diff, 1)
            while diff > 0:
                errors = 0
                for _ in range(batch):
                    try:
                        create_pod_from_template(self, template, job, self.api_version, self.kind)
                    except StoreError as exc:
                        if exc.code == 403 and "being terminated" in exc.message:
                            continue
                        errors += 1
                        active -= 1
                        if first_error is None:
                            first_error = exc
                skipped = diff - batch
                if errors and skipped > 0:
                    active -= skipped
                    break
                diff -= batch
                batch = min(2 * batch, diff)
        return active, first_error


def _ensure_condition(
    conditions: list[Obj], type_: str, status: str, reason: str, message: str, now: float
) -> bool:
    """ensureJobConditionStatus."""
    for cond in conditions:
        if cond.get("type") == type_:
            if (
                cond.get("status") != status
                or cond.get("reason", "") != reason
                or cond.get("message", "") != message
            ):
                cond["status"] = status
                cond["lastTransitionTime"] = util.rfc3339(now)
                cond["reason"] = reason
                cond["message"] = message
                return True
            return False
    if status != "False":
        conditions.append(new_condition(type_, status, reason, message, now))
        return True
    return False


def _past_backoff_limit_on_failure(job: Mapping[str, Any], pods: list[Obj]) -> bool:
    spec = job.get("spec") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        if util.pod_phase(pod) in ("Running", "Pending"):
            status = pod.get("status") or {}
            for key in ("initContainerStatuses", "containerStatuses"):
                for cs in status.get(key) or ():
                    if isinstance(cs, Mapping):
                        restarts += util.int_field(cs, "restartCount")
    limit = util.int_field(spec, "backoffLimit", 6)
    if limit == 0:
        return restarts > 0
    return restarts >= limit


def _past_active_deadline(job: Mapping[str, Any], status: Mapping[str, Any], now: float) -> bool:
    spec = job.get("spec") or {}
    deadline = spec.get("activeDeadlineSeconds")
    start = util.parse_time(status.get("startTime"))
    if deadline is None or start is None or spec.get("suspend"):
        return False
    return now - start >= int(deadline)
