"""The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go, batch/v1).

Each sync of a CronJob, on the controller's clock (schedules in UTC):

- reconcile `status.active` with its Jobs (finished ones leave it — `lastSuccessfulTime` takes
  the latest completionTime — and vanished ones too);
- unless deleting, suspended or the schedule does not parse: find the most recent unmet
  schedule time after `lastScheduleTime` (or creation, or now - startingDeadlineSeconds); skip it
  when it is older than startingDeadlineSeconds (MissSchedule), already processed, or when
  concurrencyPolicy Forbid finds an active Job; with Replace delete the active Jobs first; then
  create Job `<cronjob>-<scheduled time in minutes since the epoch>` from the jobTemplate
  (labels/annotations copied, controller owner reference, annotation
  `batch.kubernetes.io/cronjob-scheduled-timestamp`), add it to `active` and set
  `lastScheduleTime`;
- delete the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit
  (background propagation);
- requeue for the next schedule time (+100ms, as upstream).

Divergence: upstream v1.21-v1.26 computes the most recent missed time assuming evenly spaced
schedules; this walks the schedule instead (what later versions do), which only differs for
uneven schedules such as `0 9,17 * * *`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import Controller, Informer, OwnedObjects, deep_copy
from ktui.sim.controllers.cron import CronError, Schedule, parse_standard
from ktui.sim.controllers.job import finished_condition
from ktui.sim.store import StoreError

Obj = dict[str, Any]

NEXT_SCHEDULE_DELTA = 0.1
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100


def job_name(cronjob: Mapping[str, Any], scheduled: float) -> str:
    return f"{util.name_of(cronjob)}-{int(scheduled) // 60}"


def most_recent_schedule(
    earliest: float, now: float, schedule: Schedule
) -> tuple[float | None, int]:
    """The latest activation in (earliest, now] and how many there were (counting stops a little
    past MAX_MISSED, which is only reported)."""
    found: float | None = None
    count = 0
    t = schedule.next(earliest)
    while t is not None and t <= now:
        found = t
        count += 1
        if count > MAX_MISSED + 1:
            # Far behind: jump to the last activation without visiting every one.
            later = schedule.next(max(t, now - 366 * 24 * 3600 * 5))
            probe = later
            while probe is not None and probe <= now:
                found = probe
                probe = schedule.next(probe)
            break
        t = schedule.next(t)
    return found, count


def render_status(status: Mapping[str, Any]) -> Obj:
    out: Obj = {}
    if status.get("active"):
        out["active"] = status["active"]
    for key in ("lastScheduleTime", "lastSuccessfulTime"):
        if status.get(key):
            out[key] = status[key]
    return out


class CronJobController(Controller):
    name = "cronjob-controller"
    kind = "CronJob"
    api_version = "batch/v1"

    def register(self) -> None:
        self.cronjobs: Informer = self.informers.informer("batch", "cronjobs")
        self.jobs: Informer = self.informers.informer("batch", "jobs")
        self.cronjobs.add_handler(
            on_add=self.enqueue, on_update=self._cronjob_updated, on_delete=self.enqueue
        )
        self.owned_jobs = OwnedObjects(self.cronjobs, self.kind, self.enqueue)
        self.jobs.add_handler(
            on_add=self.owned_jobs.enqueue_owner,
            on_update=self._job_updated,
            on_delete=self.owned_jobs.enqueue_owner,
        )

    def resync(self) -> None:
        for cronjob in self.cronjobs.list():
            self.enqueue(cronjob)

    def _job_updated(self, old: Obj, new: Obj) -> None:
        # Jobs are never adopted by a CronJob: only their controller owners are looked at.
        if util.controller_ref(old) != util.controller_ref(new):
            self.owned_jobs.enqueue_owner(old)
        self.owned_jobs.enqueue_owner(new)

    def _cronjob_updated(self, old: Obj, new: Obj) -> None:
        old_schedule = (old.get("spec") or {}).get("schedule")
        new_schedule = (new.get("spec") or {}).get("schedule")
        if old_schedule != new_schedule:
            try:
                schedule = parse_standard(str(new_schedule or ""))
            except CronError:
                self.record(
                    new,
                    "Warning",
                    "UnParseableCronJobSchedule",
                    f"unparseable schedule for cronjob: {new_schedule}",
                )
                return
            now = self.clock()
            nxt = schedule.next(now)
            if nxt is not None:
                self.queue.add_after(util.key_of(new), nxt - now + NEXT_SCHEDULE_DELTA)
            return
        self.enqueue(new)

    # --- sync ------------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        namespace, name = util.split_key(key)
        cached = self.cronjobs.get(namespace, name)
        if cached is None:
            return None
        jobs = [
            j
            for j in self.jobs.controlled_by(util.uid_of(cached))
            if (util.controller_ref(j) or {}).get("name") == name
        ]
        cronjob, after, update_status = self._sync_cronjob(deep_copy(cached), jobs)
        if update_status:
            self._write_status(cronjob)
        self._cleanup_finished(cronjob, jobs)
        return after

    def _write_status(self, cronjob: Obj) -> Obj:
        cronjob["status"] = render_status(cronjob.get("status") or {})
        written = self.api_update_status("batch", "cronjobs", cronjob)
        cronjob["metadata"]["resourceVersion"] = util.meta(written).get("resourceVersion")
        return written

    def _sync_cronjob(self, cronjob: Obj, jobs: list[Obj]) -> tuple[Obj, float | None, bool]:
        now = self.clock()
        status = cronjob.setdefault("status", {})
        update_status = False
        children = set()
        for job in jobs:
            uid = util.uid_of(job)
            children.add(uid)
            active = any(ref.get("uid") == uid for ref in status.get("active") or ())
            finished = finished_condition(job)
            if not active and finished is None:
                fresh = self.client.get(
                    "batch", "cronjobs", util.namespace_of(cronjob), util.name_of(cronjob)
                )
                if any(
                    ref.get("uid") == uid for ref in (fresh.get("status") or {}).get("active") or ()
                ):
                    cronjob = fresh
                    status = cronjob.setdefault("status", {})
                    continue
                self.record(
                    cronjob,
                    "Warning",
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {util.name_of(job)}",
                )
            elif active and finished is not None:
                _remove_active(status, uid)
                self.record(
                    cronjob,
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {util.name_of(job)}, status: {finished}",
                )
                update_status = True
            elif finished is not None:
                # A finished job does not have to be in the active list to count.
                completed = (job.get("status") or {}).get("completionTime")
                completed_at = util.parse_time(completed)
                last = util.parse_time(status.get("lastSuccessfulTime"))
                if completed_at is not None and (last is None or completed_at > last):
                    status["lastSuccessfulTime"] = completed
                    update_status = True
        for ref in list(status.get("active") or ()):
            uid = ref.get("uid")
            if uid in children:
                continue
            try:
                self.client.get(
                    "batch",
                    "jobs",
                    ref.get("namespace") or util.namespace_of(cronjob),
                    str(ref.get("name") or ""),
                )
            except StoreError as exc:
                if exc.code != 404:
                    raise
                self.record(
                    cronjob, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}"
                )
                _remove_active(status, uid)
                update_status = True

        if util.is_deleting(cronjob):
            return cronjob, None, update_status
        spec = cronjob.get("spec") or {}
        if spec.get("suspend"):
            return cronjob, None, update_status
        schedule_text = str(spec.get("schedule") or "")
        try:
            schedule = parse_standard(schedule_text)
        except CronError as exc:
            self.record(
                cronjob,
                "Warning",
                "UnparseableSchedule",
                f'unparseable schedule: "{schedule_text}" : {exc}',
            )
            return cronjob, None, update_status

        scheduled = self._next_schedule_time(cronjob, now, schedule)
        requeue = self._next_after(schedule, now)
        if scheduled is None:
            return cronjob, requeue, update_status
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + int(deadline) < now:
            self.record(
                cronjob,
                "Warning",
                "MissSchedule",
                "Missed scheduled time to start a job: " + _rfc1123z(scheduled),
            )
            return cronjob, requeue, update_status
        name = job_name(cronjob, scheduled)
        if any(ref.get("name") == name for ref in status.get("active") or ()) or (
            util.parse_time(status.get("lastScheduleTime")) == util.truncate_second(scheduled)
        ):
            return cronjob, requeue, update_status
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and status.get("active"):
            self.record(
                cronjob,
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is"
                " Forbid",
            )
            return cronjob, requeue, update_status
        if policy == "Replace":
            for ref in list(status.get("active") or ()):
                try:
                    job = self.client.get(
                        "batch",
                        "jobs",
                        ref.get("namespace") or util.namespace_of(cronjob),
                        str(ref.get("name") or ""),
                    )
                except StoreError as exc:
                    self.record(cronjob, "Warning", "FailedGet", f"Get job: {exc.message}")
                    raise
                if not self._delete_job(cronjob, job):
                    raise RuntimeError(
                        f"could not replace job {util.namespace_of(job)}/{util.name_of(job)}"
                    )
                update_status = True

        job = self._job_from_template(cronjob, scheduled, name)
        try:
            created = self.api_create("batch", "jobs", job)
        except StoreError as exc:
            if exc.code == 403 and "being terminated" in exc.message:
                return cronjob, requeue, update_status
            if exc.code == 409 and exc.reason == "AlreadyExists":
                raise
            self.record(cronjob, "Warning", "FailedCreate", f"Error creating job: {exc.message}")
            raise
        self.record(cronjob, "Normal", "SuccessfulCreate", f"Created job {util.name_of(created)}")
        status.setdefault("active", []).append(
            {
                "kind": "Job",
                "namespace": util.namespace_of(created),
                "name": util.name_of(created),
                "uid": util.uid_of(created),
                "apiVersion": "batch/v1",
                "resourceVersion": util.meta(created).get("resourceVersion"),
            }
        )
        status["lastScheduleTime"] = util.rfc3339(scheduled)
        return cronjob, requeue, True

    def _next_after(self, schedule: Schedule, now: float) -> float | None:
        nxt = schedule.next(now)
        if nxt is None:
            return None
        return nxt - now + NEXT_SCHEDULE_DELTA

    def _next_schedule_time(self, cronjob: Obj, now: float, schedule: Schedule) -> float | None:
        status = cronjob.get("status") or {}
        earliest = util.parse_time(status.get("lastScheduleTime"))
        if earliest is None:
            earliest = util.creation_time(cronjob) or now
        deadline = (cronjob.get("spec") or {}).get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - int(deadline))
        if earliest > now:
            return None
        found, count = most_recent_schedule(earliest, now, schedule)
        if count > MAX_MISSED:
            self.record(
                cronjob,
                "Warning",
                "TooManyMissedTimes",
                f"too many missed start times: {count}. Set or decrease"
                " .spec.startingDeadlineSeconds or check clock skew",
            )
        return found

    def _job_from_template(self, cronjob: Obj, scheduled: float, name: str) -> Obj:
        template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
        template_meta = template.get("metadata") or {}
        metadata: Obj = {"name": name, "namespace": util.namespace_of(cronjob)}
        if template_meta.get("labels"):
            metadata["labels"] = dict(template_meta["labels"])
        annotations = dict(template_meta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = util.rfc3339(scheduled)
        metadata["annotations"] = annotations
        metadata["ownerReferences"] = [
            util.new_controller_ref(cronjob, self.api_version, self.kind)
        ]
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": metadata,
            "spec": deep_copy(template.get("spec") or {}),
        }

    def _delete_job(self, cronjob: Obj, job: Obj) -> bool:
        try:
            self.api_delete(
                "batch",
                "jobs",
                util.namespace_of(job),
                util.name_of(job),
                propagation_policy="Background",
            )
        except StoreError as exc:
            self.record(cronjob, "Warning", "FailedDelete", f"Deleted job: {exc.message}")
            return False
        _remove_active(cronjob.setdefault("status", {}), util.uid_of(job))
        self.record(cronjob, "Normal", "SuccessfulDelete", f"Deleted job {util.name_of(job)}")
        return True

    def _cleanup_finished(self, cronjob: Obj, jobs: list[Obj]) -> None:
        spec = cronjob.get("spec") or {}
        successful_limit = spec.get("successfulJobsHistoryLimit")
        failed_limit = spec.get("failedJobsHistoryLimit")
        if successful_limit is None and failed_limit is None:
            return
        succeeded = [j for j in jobs if finished_condition(j) == "Complete"]
        failed = [j for j in jobs if finished_condition(j) == "Failed"]
        changed = False
        for group, limit in ((succeeded, successful_limit), (failed, failed_limit)):
            if limit is None:
                continue
            excess = len(group) - int(limit)
            if excess <= 0:
                continue
            for job in sorted(group, key=_start_time_key)[:excess]:
                self._delete_job(cronjob, job)
                changed = True
        if changed:
            self._write_status(cronjob)


def _start_time_key(job: Obj) -> tuple[int, float, str]:
    """byJobStartTimeStar: jobs without a start time last, then oldest start, then name."""
    start = util.parse_time((job.get("status") or {}).get("startTime"))
    if start is None:
        return (1, 0.0, util.name_of(job))
    return (0, start, util.name_of(job))


def _remove_active(status: Obj, uid: Any) -> None:
    status["active"] = [ref for ref in status.get("active") or () if ref.get("uid") != uid]


def _rfc1123z(t: float) -> str:
    import time as _time

    return _time.strftime("%a, %d %b %Y %H:%M:%S +0000", _time.gmtime(t))
