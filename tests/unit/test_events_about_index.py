"""`ObjectMirror.events_about` answers from an index kept as Event batches arrive: the same
events, in the same order, as a scan of every event would give, whatever the batches did."""

from __future__ import annotations

import random
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.model.objects import ObjectMirror, kind_of, name_of, namespace_of, uid_of

Obj = dict[str, Any]

PODS: list[Obj] = [
    {"kind": "Pod", "metadata": {"uid": f"pod-{n}", "name": f"web-{n}", "namespace": ns}}
    for n, ns in enumerate(["shop", "shop", "data", "data"])
]


def scan(mirror: ObjectMirror, objects: list[Obj]) -> list[Obj]:
    """What events_about answered before the index: every event looked at."""
    uids = {uid_of(obj) for obj in objects} - {""}
    targets = {(kind_of(obj), namespace_of(obj), name_of(obj)) for obj in objects}
    found = []
    for event in mirror.objects("Event").values():
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if involved.get("uid") and involved.get("uid") in uids:
            found.append(event)
            continue
        namespace = involved.get("namespace") or namespace_of(event)
        key = (str(involved.get("kind", "")), str(namespace), str(involved.get("name", "")))
        if key in targets:
            found.append(event)
    return found


def event(uid: str, pod: Obj, rng: random.Random) -> Obj:
    """An event about `pod`, named by uid, by name only, or by events.k8s.io's `regarding`."""
    meta = pod["metadata"]
    involved: Obj = {"kind": "Pod", "name": meta["name"]}
    shape = rng.choice(["uid", "name", "regarding", "no-namespace", "other-uid"])
    if shape in ("uid", "regarding"):
        involved["uid"] = meta["uid"]
    if shape == "other-uid":
        involved["uid"] = "a-pod-of-the-same-name-before"
    if shape != "no-namespace":
        involved["namespace"] = meta["namespace"]
    field = "regarding" if shape == "regarding" else "involvedObject"
    return {
        "kind": "Event",
        "metadata": {"uid": uid, "name": f"{uid}.x", "namespace": meta["namespace"]},
        field: involved,
        "reason": rng.choice(["BackOff", "Pulled", "Killing"]),
    }


def test_the_index_answers_as_a_scan_would_through_upserts_moves_and_deletes() -> None:
    rng = random.Random(13)
    mirror = ObjectMirror()
    mirror.apply(ChangeBatch(upserts={"Pod": {p["metadata"]["uid"]: p for p in PODS}}))
    live: set[str] = set()
    for round_number in range(300):
        upserts: dict[str, Obj] = {}
        deletes: set[str] = set()
        for _ in range(rng.randint(1, 6)):
            uid = f"ev-{rng.randint(0, 40)}"
            if uid in live and rng.random() < 0.3:
                deletes.add(uid)
                upserts.pop(uid, None)
            else:
                # New, or the same event now about another pod (or named another way).
                upserts[uid] = event(uid, rng.choice(PODS), rng)
                deletes.discard(uid)
        live = (live | set(upserts)) - deletes
        mirror.apply(ChangeBatch(upserts={"Event": upserts}, deletes={"Event": deletes}))
        for objects in ([p] for p in PODS):
            assert mirror.events_about(objects) == scan(mirror, objects), round_number
        assert mirror.events_about(PODS) == scan(mirror, PODS)
    assert set(mirror.objects("Event")) == live


def test_a_deleted_event_and_an_event_moved_to_another_pod_leave_the_first_pod() -> None:
    rng = random.Random(1)
    mirror = ObjectMirror()
    first, second = PODS[0], PODS[2]
    about_first = event("e1", first, rng)
    about_first["involvedObject"] = {
        "kind": "Pod",
        "name": "web-0",
        "namespace": "shop",
        "uid": "pod-0",
    }
    second_event = {**about_first, "metadata": {**about_first["metadata"], "uid": "e2"}}
    mirror.apply(ChangeBatch(upserts={"Event": {"e1": about_first, "e2": second_event}}))
    assert [e["metadata"]["uid"] for e in mirror.events_about([first])] == ["e1", "e2"]
    moved = {**about_first, "involvedObject": {"kind": "Pod", "name": "web-2", "uid": "pod-2"}}
    mirror.apply(ChangeBatch(upserts={"Event": {"e1": moved}}, deletes={"Event": {"e2"}}))
    assert mirror.events_about([first]) == []
    assert mirror.events_about([second]) == [moved]
