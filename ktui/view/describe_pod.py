"""`kubectl describe pod` as plain text: a port of kubectl v1.32's `describePod`
(k8s.io/kubectl/pkg/describe/describe.go) and of the `text/tabwriter` it writes through, so the
sections, field names, order and alignment are kubectl's.

Pure: the whole pod (as one GET reads it, not the cache's slim projection), its events and the
current time in, text out. Times are printed as kubectl prints them (RFC 1123 with a numeric
zone), in the machine's local zone as kubectl converts them (not the zone of `now`: ktui's clock
is UTC). Values are printed as they are, but for tabs and line breaks inside a one-line value,
written as `\\t` and `\\n` (raw, they would move columns and make up lines); the screen escapes
what else could drive a terminal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import Any

from ktui.cluster.rollout.equality import parse_quantity
from ktui.cluster.selectors import selector_string
from ktui.view import _json as j
from ktui.view.age import parse_time, since

Obj = Mapping[str, Any]

# kubectl's tabwriter: minwidth 0, tabwidth 8, padding 2, padded with spaces, no flags.
_PADDING = 2
_MAX_ANNOTATION_LEN = 140
_SKIPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tabwriter_format(text: str) -> str:
    """`text` as Go's `text/tabwriter` (kubectl's settings) lays it out: the tab-terminated cells
    of consecutive lines form columns, each as wide as its widest cell plus 2 spaces; a line
    with fewer cells ends the column block (the text after a line's last tab is no cell)."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write_lines(widths: list[int], start: int, end: int) -> None:
        for index in range(start, end):
            cells = lines[index]
            parts = []
            for column, cell in enumerate(cells):
                parts.append(cell)
                if column < len(widths):
                    parts.append(" " * (widths[column] - len(cell)))
            out.append("".join(parts))

    def layout(widths: list[int], line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(widths, line0, this)
            line0 = this
            width = 0
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + _PADDING)
                this += 1
            layout([*widths, width], line0, this)
            line0 = this
        write_lines(widths, line0, line1)

    layout([], 0, len(lines))
    return "\n".join(out)


def one_line(value: Any) -> str:
    """A value for one cell: tabs and line breaks written out (`\\t`, `\\n`)."""
    text = value if isinstance(value, str) else str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return text


class _PrefixWriter:
    """kubectl's PrefixWriter over a tabwriter: `write(level, text)` indents by two spaces a
    level; `flush` lays out what was written so far (kubectl flushes before the events)."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._done: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._pending.append("  " * level + text)

    def flush(self) -> None:
        pending = "".join(self._pending)
        self._pending = []
        if not pending:
            return
        if pending.endswith("\n"):
            self._done.append(tabwriter_format(pending[:-1]) + "\n")
        else:
            self._done.append(tabwriter_format(pending))

    def text(self) -> str:
        self.flush()
        return "".join(self._done)


def go_time(value: Any, zone: tzinfo | None = None) -> str:
    """An API timestamp as Go's `time.RFC1123Z` ("Mon, 02 Jan 2006 15:04:05 -0700") in `zone`,
    by default the machine's local zone (kubectl prints `.Time.Local()`, the offset of that
    moment, so summer and winter times differ); a missing one as Go's zero time, which kubectl
    prints for it."""
    moment = parse_time(value)
    if moment is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    try:
        local = moment.astimezone(zone)
    except (OverflowError, ValueError, OSError):
        # Year 1 west of UTC (or 9999 east of it) has no local date Python can hold: in UTC.
        local = moment
    offset = local.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    # Go drops the seconds of an offset (a local mean time such as -4:56:02 prints -0456) and
    # pads the year to four digits (the zero time is year "0001").
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds) // 60, 60)
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {sign}{hours:02d}{rest:02d}"
    )


def _bool(value: Any) -> str:
    """Go's `%v` of a bool (a missing one is false)."""
    return "true" if value is True else "false"


def _optional(value: Any) -> str:
    """Go's `%v` of a *bool: <nil> when unset (the value when set: kubectl v1.32 prints the
    pointer's address, which says nothing)."""
    return "<nil>" if not isinstance(value, bool) else _bool(value)


# ----------------------------------------------------------------------------- metadata


def _labels(w: _PrefixWriter, title: str, labels: Any, indent: str = "") -> None:
    """printLabelsMultilineWithIndent: `key=value` sorted by key, one a line, or <none>."""
    w.write(0, f"{indent}{title}:\t")
    pairs = j.obj(labels)
    if not pairs:
        w.write(0, "<none>\n")
        return
    for index, key in enumerate(sorted(pairs)):
        if index:
            w.write(0, f"{indent}\t")
        w.write(0, f"{one_line(key)}={one_line(pairs[key])}\n")


def _annotations(w: _PrefixWriter, title: str, annotations: Any, indent: str = "") -> None:
    """printAnnotationsMultiline: sorted by key, last-applied-configuration left out; a long or
    multi-line value goes under its key, each line cut at 140 characters."""
    w.write(0, f"{indent}{title}:\t")
    pairs = j.obj(annotations)
    keys = sorted(key for key in pairs if key not in _SKIPPED_ANNOTATIONS)
    if not keys:
        w.write(0, "<none>\n")
        return
    for index, key in enumerate(keys):
        if index:
            w.write(0, f"{indent}\t")
        value = str(pairs[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > _MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{one_line(key)}:\n")
            for part in value.split("\n"):
                if len(part) > _MAX_ANNOTATION_LEN - 2:
                    part = part[: _MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"{indent}\t  {one_line(part)}\n")
        else:
            w.write(0, f"{one_line(key)}: {one_line(value)}\n")


def _controlled_by(meta: Obj) -> str:
    for ref in j.objs(meta.get("ownerReferences")):
        if ref.get("controller") is True:
            return f"{one_line(j.text(ref.get('kind')))}/{one_line(j.text(ref.get('name')))}"
    return ""


# ----------------------------------------------------------------------------- containers


def _ports(ports: list[Obj], field: str) -> str:
    return ", ".join(
        f"{j.integer(port.get(field))}/{one_line(j.text(port.get('protocol')) or 'TCP')}"
        for port in ports
    )


def _container_state(w: _PrefixWriter, title: str, state: Obj, zone: tzinfo | None) -> None:
    """describeStatus: Running (Started), Waiting (Reason), Terminated (Reason, Message, Exit
    Code, Signal, Started, Finished)."""
    running = j.opt_obj(state.get("running"))
    waiting = j.opt_obj(state.get("waiting"))
    terminated = j.opt_obj(state.get("terminated"))
    if running is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{go_time(running.get('startedAt'), zone)}\n")
    elif waiting is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if j.text(waiting.get("reason")):
            w.write(3, f"Reason:\t{one_line(waiting['reason'])}\n")
    elif terminated is not None:
        w.write(2, f"{title}:\tTerminated\n")
        if j.text(terminated.get("reason")):
            w.write(3, f"Reason:\t{one_line(terminated['reason'])}\n")
        if j.text(terminated.get("message")):
            w.write(3, f"Message:\t{one_line(terminated['message'])}\n")
        w.write(3, f"Exit Code:\t{j.integer(terminated.get('exitCode'))}\n")
        if j.integer(terminated.get("signal")) > 0:
            w.write(3, f"Signal:\t{j.integer(terminated.get('signal'))}\n")
        w.write(3, f"Started:\t{go_time(terminated.get('startedAt'), zone)}\n")
        w.write(3, f"Finished:\t{go_time(terminated.get('finishedAt'), zone)}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


def _resources(w: _PrefixWriter, resources: Obj, level: int) -> None:
    """describeResources: Limits then Requests, each resource by name."""
    for title in ("limits", "requests"):
        amounts = j.obj(resources.get(title))
        if amounts:
            w.write(level, f"{title.capitalize()}:\n")
        for name in sorted(amounts):
            w.write(level + 1, f"{one_line(name)}:\t{one_line(amounts[name])}\n")


def _port_text(value: Any) -> str:
    """An IntOrString port as Go's `%s` of its String()."""
    return one_line(value) if isinstance(value, str) else str(j.integer(value))


def describe_probe(probe: Obj) -> str:
    """DescribeProbe (kubectl v1.32): the handler, then delay, timeout, period and thresholds,
    the API's defaults standing in for what the object leaves out."""
    attrs = (
        f"delay={j.integer(probe.get('initialDelaySeconds'))}s "
        f"timeout={j.integer(probe.get('timeoutSeconds'), 1)}s "
        f"period={j.integer(probe.get('periodSeconds'), 10)}s "
        f"#success={j.integer(probe.get('successThreshold'), 1)} "
        f"#failure={j.integer(probe.get('failureThreshold'), 3)}"
    )
    exec_action = j.opt_obj(probe.get("exec"))
    http = j.opt_obj(probe.get("httpGet"))
    tcp = j.opt_obj(probe.get("tcpSocket"))
    grpc = j.opt_obj(probe.get("grpc"))
    if exec_action is not None:
        command = " ".join(one_line(part) for part in j.strs(exec_action.get("command")))
        return f"exec [{command}] {attrs}"
    if http is not None:
        scheme = j.text(http.get("scheme")).lower()
        host = j.text(http.get("host"))
        port = _port_text(http.get("port"))
        host_port = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        url = f"{scheme}://{host_port}{one_line(j.text(http.get('path')))}"
        return f"http-get {url} {attrs}"
    if tcp is not None:
        return (
            f"tcp-socket {one_line(j.text(tcp.get('host')))}:{_port_text(tcp.get('port'))} {attrs}"
        )
    if grpc is not None:
        service = one_line(j.text(grpc.get("service")))
        return f"grpc <pod>:{j.integer(grpc.get('port'))} {service} {attrs}"
    return f"unknown {attrs}"


def _field_ref_value(pod: Obj, path: str) -> str:
    """EnvValueRetriever, as kubectl v1.32 prints it: the pod's name and namespace; any other
    field (its uid, labels, spec and status fields) prints empty."""
    if path in ("metadata.name", "metadata.namespace"):
        return j.text(j.meta(pod).get(path.removeprefix("metadata.")))
    return ""


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _go_int64_value(quantity: Fraction) -> int:
    """Quantity.Value() (or MilliValue() of a quantity scaled by 1000): rounded away from zero,
    held in an int64 (saturated here; Go wraps around, printing numbers that mean nothing)."""
    rounded = math.ceil(quantity) if quantity >= 0 else math.floor(quantity)
    return max(_INT64_MIN, min(_INT64_MAX, rounded))


def _resource_field_value(container: Obj, ref: Obj) -> str:
    """ExtractContainerResourceValue (kubectl v1.32): the container's limit or request divided
    by the divisor, each rounded away from zero into an int64, the quotient taken in float64
    and rounded up ("0" when not set)."""
    resource = j.text(ref.get("resource"))
    kind, _, name = resource.partition(".")
    if kind not in ("limits", "requests") or not name:
        return ""
    amounts = j.obj(j.obj(container.get("resources")).get(kind))
    amount = parse_quantity(str(amounts.get(name, "0"))) or Fraction(0)
    divisor = parse_quantity(str(ref.get("divisor") or "1")) or Fraction(1)
    scale = 1000 if name == "cpu" else 1  # millicores, as Quantity.MilliValue counts cpu
    numerator = _go_int64_value(amount * scale)
    denominator = _go_int64_value(divisor * scale)
    # kubectl v1.32 divides in float64 (`math.Ceil(float64(a) / float64(b))`), so a limit of
    # 999999999999999999 prints as 1000000000000000000 there, checked against kubectl itself
    # (tests/sim/test_server_kubectl.py); newer kubectl divides exactly. A nonzero divisor
    # never rounds to 0, but a guard costs nothing against a division by zero.
    if denominator == 0:
        return "0"
    quotient = math.ceil(float(numerator) / float(denominator))
    return str(max(_INT64_MIN, min(_INT64_MAX, quotient)))


def _environment(w: _PrefixWriter, pod: Obj, container: Obj) -> None:
    env_from = j.objs(container.get("envFrom"))
    if env_from:
        w.write(2, "Environment Variables from:\n")
        for env_source in env_from:
            config_map = j.opt_obj(env_source.get("configMapRef"))
            secret = j.opt_obj(env_source.get("secretRef"))
            ref, kind = (config_map, "ConfigMap") if config_map is not None else (secret, "Secret")
            name = one_line(j.text((ref or {}).get("name"))) if ref is not None else ""
            kind = kind if ref is not None else ""
            optional = _bool((ref or {}).get("optional"))
            prefix = j.text(env_source.get("prefix"))
            with_prefix = f" with prefix '{one_line(prefix)}'" if prefix else ""
            w.write(3, f"{name}\t{kind}{with_prefix}\tOptional: {optional}\n")
    env = j.objs(container.get("env"))
    w.write(2, "Environment:\n" if env else "Environment:\t<none>\n")
    for variable in env:
        name = one_line(j.text(variable.get("name")))
        source = j.opt_obj(variable.get("valueFrom"))
        if source is None:
            for index, part in enumerate(j.text(variable.get("value")).split("\n")):
                w.write(
                    3, f"{name}:\t{one_line(part)}\n" if index == 0 else f"\t{one_line(part)}\n"
                )
            continue
        field = j.opt_obj(source.get("fieldRef"))
        resource = j.opt_obj(source.get("resourceFieldRef"))
        secret = j.opt_obj(source.get("secretKeyRef"))
        config_map = j.opt_obj(source.get("configMapKeyRef"))
        if field is not None:
            path = j.text(field.get("fieldPath"))
            value = one_line(_field_ref_value(pod, path))
            api = one_line(j.text(field.get("apiVersion")) or "v1")
            w.write(3, f"{name}:\t{value} ({api}:{one_line(path)})\n")
        elif resource is not None:
            what = j.text(resource.get("resource"))
            value = _resource_field_value(container, resource)
            if value == "0" and what in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({one_line(what)})\n")
        elif secret is not None:
            key, of = one_line(j.text(secret.get("key"))), one_line(j.text(secret.get("name")))
            optional = _bool(secret.get("optional"))
            w.write(
                3, f"{name}:\t<set to the key '{key}' in secret '{of}'>\tOptional: {optional}\n"
            )
        elif config_map is not None:
            key, of = (
                one_line(j.text(config_map.get("key"))),
                one_line(j.text(config_map.get("name"))),
            )
            optional = _bool(config_map.get("optional"))
            w.write(
                3, f"{name}:\t<set to the key '{key}' of config map '{of}'>\tOptional: {optional}\n"
            )


def _mounts(w: _PrefixWriter, container: Obj) -> None:
    mounts = j.objs(container.get("volumeMounts"))
    w.write(2, "Mounts:\n" if mounts else "Mounts:\t<none>\n")
    for mount in sorted(mounts, key=lambda m: j.text(m.get("mountPath"))):
        flags = ["ro" if mount.get("readOnly") is True else "rw"]
        if j.text(mount.get("subPath")):
            flags.append(f'path="{one_line(mount["subPath"])}"')
        w.write(
            3,
            f"{one_line(j.text(mount.get('mountPath')))} from "
            f"{one_line(j.text(mount.get('name')))} ({','.join(flags)})\n",
        )
    devices = j.objs(container.get("volumeDevices"))
    if devices:
        w.write(2, "Devices:\n")
        for device in sorted(devices, key=lambda d: j.text(d.get("devicePath"))):
            w.write(
                3,
                f"{one_line(j.text(device.get('devicePath')))} from "
                f"{one_line(j.text(device.get('name')))}\n",
            )


def _containers(
    w: _PrefixWriter,
    title: str,
    pod: Obj,
    containers: list[Obj],
    statuses: list[Obj],
    zone: tzinfo | None,
) -> None:
    """describeContainers: each container's id, image, ports, command, state, resources,
    probes, environment and mounts."""
    by_name = {j.text(status.get("name")): status for status in statuses}
    w.write(0, f"{title}:\n" if containers else f"{title}: <none>\n")
    for container in containers:
        name = j.text(container.get("name"))
        status = by_name.get(name)
        w.write(1, f"{one_line(name)}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{one_line(j.text(status.get('containerID')))}\n")
        w.write(2, f"Image:\t{one_line(j.text(container.get('image')))}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{one_line(j.text(status.get('imageID')))}\n")
        ports = j.objs(container.get("ports"))
        for field, singular, plural in (
            ("containerPort", "Port", "Ports"),
            ("hostPort", "Host Port", "Host Ports"),
        ):
            shown = _ports(ports, field)
            if "," in shown:
                w.write(2, f"{plural}:\t{shown}\n")
            else:
                w.write(2, f"{singular}:\t{shown or '<none>'}\n")
        seccomp = j.opt_obj(j.obj(container.get("securityContext")).get("seccompProfile"))
        if seccomp is not None:
            w.write(2, f"SeccompProfile:\t{one_line(j.text(seccomp.get('type')))}\n")
            if seccomp.get("type") == "Localhost":
                profile = one_line(j.text(seccomp.get("localhostProfile")))
                w.write(3, f"LocalhostProfile:\t{profile}\n")
        for field, heading in (("command", "Command"), ("args", "Args")):
            parts = j.strs(container.get(field))
            if parts:
                w.write(2, f"{heading}:\n")
                for part in parts:
                    for piece in part.split("\n"):
                        w.write(3, f"{one_line(piece)}\n")
        if status is not None:
            _container_state(w, "State", j.obj(status.get("state")), zone)
            last = j.obj(status.get("lastState"))
            if j.opt_obj(last.get("terminated")) is not None:
                _container_state(w, "Last State", last, zone)
            w.write(2, f"Ready:\t{'True' if status.get('ready') is True else 'False'}\n")
            w.write(2, f"Restart Count:\t{j.integer(status.get('restartCount'))}\n")
        _resources(w, j.obj(container.get("resources")), 2)
        for field, heading in (
            ("livenessProbe", "Liveness"),
            ("readinessProbe", "Readiness"),
            ("startupProbe", "Startup"),
        ):
            probe = j.opt_obj(container.get(field))
            if probe is not None:
                w.write(2, f"{heading}:\t{describe_probe(probe)}\n")
        _environment(w, pod, container)
        _mounts(w, container)


# ----------------------------------------------------------------------------- volumes


def _items(w: _PrefixWriter, volume: Obj) -> None:
    for item in j.objs(volume.get("items")):
        field = j.opt_obj(item.get("fieldRef"))
        resource = j.opt_obj(item.get("resourceFieldRef"))
        path = one_line(j.text(item.get("path")))
        if field is not None:
            w.write(3, f"{one_line(j.text(field.get('fieldPath')))} -> {path}\n")
        if resource is not None:
            w.write(3, f"{one_line(j.text(resource.get('resource')))} -> {path}\n")


def _volume(w: _PrefixWriter, volume: Obj) -> None:
    """One volume's source as kubectl's print*VolumeSource writes it (the common kinds; the
    others by their type and fields)."""

    def fields(*pairs: tuple[str, Any]) -> None:
        for label, value in pairs:
            w.write(2, f"{label}:\t{one_line(value)}\n")

    def source(key: str) -> Obj | None:
        return j.opt_obj(volume.get(key))

    if (found := source("hostPath")) is not None:
        w.write(2, "Type:\tHostPath (bare host directory volume)\n")
        fields(("Path", j.text(found.get("path"))), ("HostPathType", found.get("type", "<none>")))
    elif (found := source("emptyDir")) is not None:
        w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n")
        limit = found.get("sizeLimit")
        sized = limit is not None and (parse_quantity(str(limit)) or 0) > 0
        fields(
            ("Medium", j.text(found.get("medium"))), ("SizeLimit", limit if sized else "<unset>")
        )
    elif (found := source("secret")) is not None:
        w.write(2, "Type:\tSecret (a volume populated by a Secret)\n")
        fields(
            ("SecretName", j.text(found.get("secretName"))),
            ("Optional", _bool(found.get("optional"))),
        )
    elif (found := source("configMap")) is not None:
        w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n")
        fields(("Name", j.text(found.get("name"))), ("Optional", _bool(found.get("optional"))))
    elif (found := source("persistentVolumeClaim")) is not None:
        w.write(
            2,
            "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
            "namespace)\n",
        )
        fields(
            ("ClaimName", j.text(found.get("claimName"))),
            ("ReadOnly", _bool(found.get("readOnly"))),
        )
    elif (found := source("projected")) is not None:
        w.write(
            2,
            "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
        )
        for part in j.objs(found.get("sources")):
            secret = j.opt_obj(part.get("secret"))
            config_map = j.opt_obj(part.get("configMap"))
            token = j.opt_obj(part.get("serviceAccountToken"))
            # kubectl v1.32 names these fields so, and prints the unset `optional` as <nil>.
            if secret is not None:
                fields(
                    ("SecretName", j.text(secret.get("name"))),
                    ("SecretOptionalName", _optional(secret.get("optional"))),
                )
            elif j.opt_obj(part.get("downwardAPI")) is not None:
                fields(("DownwardAPI", "true"))
            elif config_map is not None:
                fields(
                    ("ConfigMapName", j.text(config_map.get("name"))),
                    ("ConfigMapOptional", _optional(config_map.get("optional"))),
                )
            elif token is not None:
                fields(("TokenExpirationSeconds", j.integer(token.get("expirationSeconds"), 3600)))
    elif (found := source("downwardAPI")) is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n")
        w.write(2, "Items:\n")
        _items(w, found)
    elif (found := source("csi")) is not None:
        w.write(2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n")
        fields(
            ("Driver", j.text(found.get("driver"))),
            ("FSType", j.text(found.get("fsType"))),
            ("ReadOnly", _bool(found.get("readOnly"))),
        )
        _labels_at(w, "VolumeAttributes", found.get("volumeAttributes"))
    elif (found := source("nfs")) is not None:
        w.write(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n")
        fields(
            ("Server", j.text(found.get("server"))),
            ("Path", j.text(found.get("path"))),
            ("ReadOnly", _bool(found.get("readOnly"))),
        )
    elif source("ephemeral") is not None:
        w.write(
            2,
            "Type:\tEphemeralVolume (an inline specification for a volume that gets created and "
            "deleted with the pod)\n",
        )
    elif (found := source("image")) is not None:
        w.write(2, "Type:\tImage (a container image or OCI artifact)\n")
        fields(
            ("Reference", j.text(found.get("reference"))),
            ("PullPolicy", j.text(found.get("pullPolicy"))),
        )
    else:
        kinds = [key for key in volume if key != "name"]
        if not kinds:
            w.write(1, "<unknown>\n")
            return
        found = j.obj(volume.get(kinds[0]))
        w.write(2, f"Type:\t{one_line(kinds[0][:1].upper() + kinds[0][1:])}\n")
        fields(
            *(
                (key[:1].upper() + key[1:], value)
                for key, value in found.items()
                if isinstance(value, str | int | bool) and not isinstance(value, Mapping)
            )
        )


def _labels_at(w: _PrefixWriter, title: str, attributes: Any) -> None:
    """printCSIPersistentVolumeAttributesMultiline: sorted `key=value`, at the volume's level."""
    pairs = j.obj(attributes)
    w.write(2, f"{title}:\t")
    if not pairs:
        w.write(0, "<none>\n")
        return
    for index, key in enumerate(sorted(pairs)):
        if index:
            w.write(2, "")
            w.write(2, "\t")
        line = f"{key}={pairs[key]}"
        if len(line) > _MAX_ANNOTATION_LEN:
            line = line[:_MAX_ANNOTATION_LEN] + "..."
        # kubectl indents each value as a line of its own, after the tab.
        w.write(2, f"{one_line(line)}\n")


def _volumes(w: _PrefixWriter, volumes: list[Obj]) -> None:
    if not volumes:
        w.write(0, "Volumes:\t<none>\n")
        return
    w.write(0, "Volumes:\n")
    for volume in volumes:
        w.write(1, f"{one_line(j.text(volume.get('name')))}:\n")
        _volume(w, volume)


# ----------------------------------------------------------------------------- scheduling


def _tolerations(w: _PrefixWriter, tolerations: list[Obj]) -> None:
    """printPodTolerationsMultiline: sorted by key; `key=value:Effect op=Exists for Ns`."""
    w.write(0, "Tolerations:\t")
    if not tolerations:
        w.write(0, "<none>\n")
        return
    for index, toleration in enumerate(sorted(tolerations, key=lambda t: j.text(t.get("key")))):
        if index:
            w.write(0, "\t")
        key, value = j.text(toleration.get("key")), j.text(toleration.get("value"))
        effect = j.text(toleration.get("effect"))
        line = key + (f"={value}" if value else "") + (f":{effect}" if effect else "")
        if toleration.get("operator") == "Exists" and not value:
            line += " op=Exists" if key or effect else "op=Exists"
        seconds = j.opt_integer(toleration.get("tolerationSeconds"))
        if seconds is not None:
            line += f" for {seconds}s"
        w.write(0, f"{one_line(line)}\n")


def _spread_constraints(w: _PrefixWriter, constraints: list[Obj]) -> None:
    if not constraints:
        return
    w.write(0, "Topology Spread Constraints:\t")
    ordered = sorted(constraints, key=lambda c: j.text(c.get("topologyKey")))
    for index, constraint in enumerate(ordered):
        if index:
            w.write(0, "\t")
        line = (
            f"{j.text(constraint.get('topologyKey'))}:{j.text(constraint.get('whenUnsatisfiable'))}"
            f" when max skew {j.integer(constraint.get('maxSkew'))} is exceeded"
        )
        selector = j.opt_obj(constraint.get("labelSelector"))
        if selector is not None:
            line += f" for selector {selector_string(selector) or '<none>'}"
        w.write(0, f"{one_line(line)}\n")


def _quantity_map(resources: Obj, field: str) -> dict[str, Fraction]:
    amounts = j.obj(resources.get(field))
    parsed = {}
    for name in ("cpu", "memory"):
        if name in amounts:
            value = parse_quantity(str(amounts[name]))
            if value is not None:
                parsed[name] = value
    return parsed


def qos_class(pod: Obj) -> str:
    """GetPodQOS: the status's qosClass, else ComputePodQOS from the containers' cpu and memory
    requests and limits (regular and init containers)."""
    shown = j.text(j.status(pod).get("qosClass"))
    if shown:
        return shown
    spec = j.spec(pod)
    containers = [*j.objs(spec.get("initContainers")), *j.objs(spec.get("containers"))]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = j.obj(container.get("resources"))
        requests = _quantity_map(resources, "requests")
        limits = _quantity_map(resources, "limits")
        if any(v > 0 for v in (*requests.values(), *limits.values())):
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or not limit or request != limit:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


# ----------------------------------------------------------------------------- events


def _events(w: _PrefixWriter, events: Sequence[Obj], now: datetime) -> None:
    """DescribeEvents: oldest first (by last timestamp), Type, Reason, Age ("3m (x5 over 10m)"),
    From and Message, under a `----` rule."""
    events = j.objs(events)  # an event that is no object says nothing: left out
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()

    def last_seen(event: Obj) -> float:
        moment = parse_time(event.get("lastTimestamp") or event.get("deprecatedLastTimestamp"))
        return moment.timestamp() if moment is not None else float("-inf")

    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for event in sorted(events, key=last_seen):
        event_time = parse_time(event.get("eventTime"))
        first = (
            since(event_time, now)
            if event_time is not None
            else since(
                parse_time(event.get("firstTimestamp") or event.get("deprecatedFirstTimestamp")),
                now,
            )
        )
        series = j.opt_obj(event.get("series"))
        count = j.integer(event.get("count")) or j.integer(event.get("deprecatedCount"))
        last = parse_time(event.get("lastTimestamp") or event.get("deprecatedLastTimestamp"))
        if series is not None:
            seen = parse_time(series.get("lastObservedTime"))
            interval = f"{since(seen, now)} (x{j.integer(series.get('count'))} over {first})"
        elif count > 1:
            interval = f"{since(last, now)} (x{count} over {first})"
        else:
            interval = first
        source = j.obj(event.get("source")) or j.obj(event.get("deprecatedSource"))
        origin = j.text(source.get("component")) or j.text(event.get("reportingController"))
        message = (j.text(event.get("message")) or j.text(event.get("note"))).strip()
        w.write(
            1,
            f"{one_line(j.text(event.get('type')))}\t{one_line(j.text(event.get('reason')))}\t"
            f"{interval}\t{one_line(origin)}\t{one_line(message)}\n",
        )


def describe_events(events: Sequence[Obj], now: datetime) -> str:
    """The Events section kubectl's describers share (`DescribeEvents`): "Events:\t<none>",
    or the events oldest first under a `----` rule, laid out by the tabwriter."""
    w = _PrefixWriter()
    _events(w, events, now)
    return w.text()


# ----------------------------------------------------------------------------- the pod


def describe_pod(pod: Obj, events: Sequence[Obj], now: datetime) -> str:
    """`kubectl describe pod` of `pod` (the whole object) with `events` (those about it), at
    `now`: Name, Namespace, Priority, Service Account, Node, Start Time, Labels, Annotations,
    Status, IP, IPs, Controlled By, Init Containers, Containers, Conditions, Volumes, QoS
    Class, Node-Selectors, Tolerations, Events, in that order."""
    w = _PrefixWriter()
    zone = None  # the machine's local zone, as kubectl prints times
    meta, spec, status = j.meta(pod), j.spec(pod), j.status(pod)
    w.write(0, f"Name:\t{one_line(j.text(meta.get('name')))}\n")
    w.write(0, f"Namespace:\t{one_line(j.text(meta.get('namespace')))}\n")
    priority = j.opt_integer(spec.get("priority"))
    if priority is not None:
        w.write(0, f"Priority:\t{priority}\n")
    if j.text(spec.get("priorityClassName")):
        w.write(0, f"Priority Class Name:\t{one_line(spec['priorityClassName'])}\n")
    if j.text(spec.get("runtimeClassName")):
        w.write(0, f"Runtime Class Name:\t{one_line(spec['runtimeClassName'])}\n")
    if j.text(spec.get("serviceAccountName")):
        w.write(0, f"Service Account:\t{one_line(spec['serviceAccountName'])}\n")
    node = j.text(spec.get("nodeName"))
    if node:
        w.write(0, f"Node:\t{one_line(node)}/{one_line(j.text(status.get('hostIP')))}\n")
    else:
        w.write(0, "Node:\t<none>\n")
    if parse_time(status.get("startTime")) is not None:
        w.write(0, f"Start Time:\t{go_time(status.get('startTime'), zone)}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    phase = one_line(j.text(status.get("phase")))
    deleting = parse_time(meta.get("deletionTimestamp"))
    if deleting is not None and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(deleting, now)})\n")
        grace = j.integer(meta.get("deletionGracePeriodSeconds"))
        w.write(0, f"Termination Grace Period:\t{grace}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if j.text(status.get("reason")):
        w.write(0, f"Reason:\t{one_line(status['reason'])}\n")
    if j.text(status.get("message")):
        w.write(0, f"Message:\t{one_line(status['message'])}\n")
    seccomp = j.opt_obj(j.obj(spec.get("securityContext")).get("seccompProfile"))
    if seccomp is not None:
        w.write(0, f"SeccompProfile:\t{one_line(j.text(seccomp.get('type')))}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{one_line(j.text(seccomp.get('localhostProfile')))}\n")
    w.write(0, f"IP:\t{one_line(j.text(status.get('podIP')))}\n")
    ips = j.objs(status.get("podIPs"))
    if ips:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{one_line(j.text(ip.get('ip')))}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    controller = _controlled_by(meta)
    if controller:
        w.write(0, f"Controlled By:\t{controller}\n")
    if j.text(status.get("nominatedNodeName")):
        w.write(0, f"NominatedNodeName:\t{one_line(status['nominatedNodeName'])}\n")
    pod_resources = j.opt_obj(spec.get("resources"))
    if pod_resources is not None:
        w.write(0, "Resources:\n")
        _resources(w, pod_resources, 1)
    init_containers = j.objs(spec.get("initContainers"))
    if init_containers:
        _containers(
            w,
            "Init Containers",
            pod,
            init_containers,
            j.objs(status.get("initContainerStatuses")),
            zone,
        )
    _containers(
        w,
        "Containers",
        pod,
        j.objs(spec.get("containers")),
        j.objs(status.get("containerStatuses")),
        zone,
    )
    ephemeral = j.objs(spec.get("ephemeralContainers"))
    if ephemeral:
        _containers(
            w,
            "Ephemeral Containers",
            pod,
            ephemeral,
            j.objs(status.get("ephemeralContainerStatuses")),
            zone,
        )
    conditions = j.objs(status.get("conditions"))
    gates = j.objs(spec.get("readinessGates"))
    if gates:
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in gates:
            wanted = gate.get("conditionType")
            found = next((c for c in conditions if c.get("type") == wanted), None)
            shown = one_line(j.text(found.get("status"))) if found is not None else "<none>"
            w.write(1, f"{one_line(j.text(wanted))} \t{shown} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for condition in conditions:
            w.write(
                1,
                f"{one_line(j.text(condition.get('type')))} \t"
                f"{one_line(j.text(condition.get('status')))} \n",
            )
    _volumes(w, j.objs(spec.get("volumes")))
    w.write(0, f"QoS Class:\t{one_line(qos_class(pod))}\n")
    _labels(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, j.objs(spec.get("tolerations")))
    _spread_constraints(w, j.objs(spec.get("topologySpreadConstraints")))
    _events(w, events, now)
    return w.text()
