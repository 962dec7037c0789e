"""Pod templates and their container images, for workloads, ReplicaSets and ControllerRevisions."""

from __future__ import annotations

from ktui.view import _json as j


def pod_template(resource: j.Obj) -> j.Obj:
    """The pod template of a workload: spec.template, or spec.jobTemplate.spec.template for a
    CronJob. A ControllerRevision keeps it under data.spec.template. Empty if there is none."""
    # Items of a list response carry no kind; a ControllerRevision is known by its data field.
    if resource.get("kind") == "ControllerRevision" or (
        "data" in resource and "spec" not in resource
    ):
        return j.obj(j.spec(j.obj(resource.get("data"))).get("template"))
    spec = j.spec(resource)
    if "jobTemplate" in spec:
        return j.obj(j.spec(j.obj(spec.get("jobTemplate"))).get("template"))
    return j.obj(spec.get("template"))


def container_images(template: j.Obj) -> list[str]:
    """The images of a pod template's regular containers, in order (what kubectl -o wide lists)."""
    return [
        j.text(container.get("image"))
        for container in j.objs(j.spec(template).get("containers"))
        if j.text(container.get("image"))
    ]


def images_text(resource: j.Obj) -> str:
    """The IMAGES cell: the template's container images joined by "," as kubectl prints them."""
    return ",".join(container_images(pod_template(resource)))


def short_image(image: str) -> str:
    """An image reference without its registry host and digest, for narrow cells:
    "registry.k8s.io/pause:3.9@sha256:..." -> "pause:3.9"."""
    without_digest = image.split("@", 1)[0]
    return without_digest.rsplit("/", 1)[-1]
