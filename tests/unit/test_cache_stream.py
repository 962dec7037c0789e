"""ResourceCache/ClusterCache against a tiny scripted HTTP server (a real socket, the real client).

The embedded cluster (tests/sim) covers ordinary behaviour; this server covers what a correct
API server rarely does on cue: malformed lines mid-stream, ERROR events, a watch that ends
normally, a 401, a 500 in the middle of a watch.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes.client
import pytest

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import POD

Action = tuple[Any, ...]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def pod(name: str, version: int) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "resourceVersion": str(version),
            "managedFields": [{"manager": "test"}],
        },
    }


def line(event_type: str, obj: dict[str, Any]) -> Action:
    return ("send", json.dumps({"type": event_type, "object": obj}).encode() + b"\n")


def gone_event() -> Action:
    status = {"kind": "Status", "status": "Failure", "code": 410, "reason": "Expired"}
    return line("ERROR", status)


class ScriptedApi:
    """Serves /api/v1 discovery, paginated pod lists and scripted watch streams."""

    def __init__(self) -> None:
        self.pods: dict[str, dict[str, Any]] = {}
        self.list_version = 10
        self.list_snapshots: list[tuple[int, dict[str, dict[str, Any]]]] = []
        """(resourceVersion, contents) the server has for the next lists, one per list."""
        self.list_statuses: list[int] = []
        """Statuses to answer the next list requests with (then normal lists)."""
        self.watch_scripts: queue.Queue[list[Action]] = queue.Queue()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.watch_peers: list[tuple[str, int]] = []
        """The client's address of each watch request: one per connection."""
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ScriptedApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def api_client(self) -> kubernetes.client.ApiClient:
        configuration = kubernetes.client.Configuration()
        configuration.host = self.url
        configuration.api_key = {"BearerToken": "test-token"}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
        return kubernetes.client.ApiClient(configuration)

    def list_requests(self) -> list[dict[str, str]]:
        return [q for path, q in self.requests if path.endswith("/pods") and "watch" not in q]

    def watch_requests(self) -> list[dict[str, str]]:
        return [q for path, q in self.requests if path.endswith("/pods") and "watch" in q]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                api.requests.append((parts.path, query))
                if parts.path == "/api/v1":
                    self.send_json(
                        200, {"kind": "APIResourceList", "resources": [{"name": "pods"}]}
                    )
                elif parts.path == "/api/v1/namespaces/ns/pods" and "watch" in query:
                    self.watch()
                elif parts.path == "/api/v1/namespaces/ns/pods":
                    self.list(query)
                else:
                    self.send_json(404, {"kind": "Status", "code": 404, "message": "not found"})

            def send_json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def list(self, query: dict[str, str]) -> None:
                if api.list_statuses:
                    code = api.list_statuses.pop(0)
                    message = {401: "Unauthorized", 500: "etcd is sad"}.get(code, "error")
                    self.send_json(code, {"kind": "Status", "code": code, "message": message})
                    return
                if api.list_snapshots and "continue" not in query:
                    api.list_version, api.pods = api.list_snapshots.pop(0)
                items = [api.pods[name] for name in sorted(api.pods)]
                start = int(query.get("continue", "0"))
                limit = int(query.get("limit", "0")) or len(items)
                page = items[start : start + limit]
                metadata: dict[str, Any] = {"resourceVersion": str(api.list_version)}
                if start + limit < len(items):
                    metadata["continue"] = str(start + limit)
                items_without_kind = [
                    {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
                    for obj in page
                ]
                self.send_json(
                    200, {"kind": "PodList", "metadata": metadata, "items": items_without_kind}
                )

            def watch(self) -> None:
                api.watch_peers.append(self.client_address)
                try:
                    script = api.watch_scripts.get_nowait()
                except queue.Empty:
                    script = [("hold",)]
                if script and script[0][0] == "status":
                    code = script[0][1]
                    self.send_json(code, {"kind": "Status", "code": code, "message": "scripted"})
                    return
                if script and script[0][0] in ("length", "gzip"):
                    self.unchunked(script[0][0], script[1:])
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for action in script:
                    if action[0] == "send":
                        data = action[1]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    elif action[0] == "burst":
                        # Every event in a chunk and a write of its own, as kube-apiserver
                        # sends them, `action[2]` s apart.
                        for data in action[1]:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                            self.wfile.flush()
                            if action[2]:
                                time.sleep(action[2])
                    elif action[0] == "raw":
                        self.wfile.write(action[1])
                        self.wfile.flush()
                    elif action[0] == "cut":
                        # Gone without the stream's end (the last-chunk).
                        self.close_connection = True
                        return
                    elif action[0] == "ended":
                        return  # the script sent the stream's end itself ("raw")
                    elif action[0] == "hold":
                        # Silent until the test ends (or the client goes away).
                        api.closing.wait()
                        return
                    elif action[0] == "gate":
                        action[1].wait(10)
                    elif action[0] == "end":
                        break
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def unchunked(self, mode: str, script: list[Action]) -> None:
                """The script's "send" lines as one body: with a Content-Length, or gzipped
                in one chunk (a watch body urllib3 must read)."""
                body = b"".join(action[1] for action in script if action[0] == "send")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if mode == "length":
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                compressed = gzip.compress(body)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(compressed), compressed))

        return Handler


class View:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.batches: list[ChangeBatch] = []
        self.phases: list[CachePhase] = []
        self.upsert_counts: dict[str, int] = {}
        self.bad_deletes: list[str] = []

    def __call__(self, batch: ChangeBatch) -> None:
        for uids in batch.deletes.values():
            for uid in uids:
                if self.objects.pop(uid, None) is None:
                    self.bad_deletes.append(uid)
        for objects in batch.upserts.values():
            for uid, obj in objects.items():
                self.upsert_counts[uid] = self.upsert_counts.get(uid, 0) + 1
                self.objects[uid] = obj
        for state in batch.states.values():
            if not self.phases or self.phases[-1] != state.phase:
                self.phases.append(state.phase)
        self.batches.append(batch)


FAST = WatchOptions(
    page_size=2,
    backoff=Backoff(base=0.01, cap=0.05),
    watch_read_timeout=30.0,
    forbidden_retry=None,
    min_watch_seconds=0.0,
    seed=1,
)


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with ScriptedApi() as server:
        yield server


def make_cache(
    api: ScriptedApi, view: View, options: WatchOptions = FAST, batch_interval: float = 0.01
) -> ClusterCache:
    return ClusterCache(
        api.api_client(),
        "ns",
        kinds=[POD],
        on_batch=view,
        batch_interval=batch_interval,
        options=options,
    )


def names(objects: dict[str, dict[str, Any]]) -> set[str]:
    return {obj["metadata"]["name"] for obj in objects.values()}


def test_events_bookmarks_and_malformed_lines(
    api: ScriptedApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.pods = {n: pod(n, i) for i, n in enumerate(["a", "b", "c"], start=1)}
    api.watch_scripts.put(
        [
            line("ADDED", pod("d", 11)),
            ("send", b"{this is not json}\n"),
            line("ADDED", {"kind": "Pod", "metadata": {"name": "no-uid"}}),
            ("send", b'"just a string"\n'),
            line("MODIFIED", pod("a", 12)),
            line("DELETED", pod("b", 13)),
            line("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "50"}}),
            ("hold",),
        ]
    )
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: cache.states()["Pod"].resource_version == "50", "the bookmark's version")
        wait_for(lambda: names(view.objects) == {"a", "c", "d"}, "the events in the view")
        state = cache.states()["Pod"]
        assert state.phase == CachePhase.LIVE
        assert state.count == 3
        objects = cache.objects("Pod")
        assert objects["uid-a"]["metadata"]["resourceVersion"] == "12"
        assert all("managedFields" not in obj["metadata"] for obj in objects.values())
        assert objects["uid-c"]["kind"] == "Pod"  # list items get their kind back
        assert cache.get("uid-d") is objects["uid-d"]
        assert cache.get("uid-b") is None
    # Pagination: three objects with limit 2 are two pages.
    assert [q.get("continue") for q in api.list_requests()] == [None, "2"]
    assert all(q["limit"] == "2" for q in api.list_requests())
    watch = api.watch_requests()[0]
    assert watch["resourceVersion"] == "10"
    assert watch["allowWatchBookmarks"] == "true"
    assert 240 <= int(watch["timeoutSeconds"]) <= 300
    assert caplog.text.count("skipping") == 3
    assert view.bad_deletes == []


def test_error_410_event_relists_and_emits_only_the_difference(api: ScriptedApi) -> None:
    # The relist sees: a as the watch left it, b deleted and c created in the gap.
    api.list_snapshots = [
        (10, {"a": pod("a", 1), "b": pod("b", 2)}),
        (40, {"a": pod("a", 11), "c": pod("c", 30)}),
    ]
    seen = threading.Event()
    api.watch_scripts.put([line("MODIFIED", pod("a", 11)), ("gate", seen), gone_event()])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: view.upsert_counts.get("uid-a") == 2, "the modification in the view")
        seen.set()
        wait_for(lambda: names(view.objects) == {"a", "c"}, "the relisted view")
        wait_for(lambda: len(api.watch_requests()) == 2, "a watch from the new list")
    assert cache.cache("Pod").relists == 1
    assert api.watch_requests()[1]["resourceVersion"] == "40"
    assert view.bad_deletes == []
    # a was unchanged by the relist: not emitted a third time. Nothing shown twice.
    assert view.upsert_counts == {"uid-a": 2, "uid-b": 1, "uid-c": 1}
    assert cache.objects("Pod")["uid-a"]["metadata"]["resourceVersion"] == "11"


def test_relist_after_410_on_watch_start(api: ScriptedApi) -> None:
    # While the watch is away: a unchanged since the watch saw it, b deleted, c created.
    api.list_snapshots = [
        (10, {"a": pod("a", 1), "b": pod("b", 2)}),
        (40, {"a": pod("a", 11), "c": pod("c", 30)}),
    ]
    seen = threading.Event()
    api.watch_scripts.put([line("MODIFIED", pod("a", 11)), ("gate", seen), ("end",)])
    api.watch_scripts.put([("status", 410)])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: view.upsert_counts.get("uid-a") == 2, "the modification in the view")
        seen.set()
        wait_for(lambda: names(view.objects) == {"a", "c"}, "the relisted view")
        wait_for(lambda: len(api.watch_requests()) == 3, "a watch from the new list")
    assert api.watch_requests()[1]["resourceVersion"] == "11"  # resumed, not relisted
    assert cache.cache("Pod").failures == 0  # 410 is routine, not an error
    assert api.watch_requests()[2]["resourceVersion"] == "40"
    assert len(api.list_requests()) == 2  # one page each: 2 objects, limit 2
    assert view.upsert_counts == {"uid-a": 2, "uid-b": 1, "uid-c": 1}  # a not re-emitted
    assert view.bad_deletes == []


def test_normal_end_rewatches_from_the_last_version_without_listing(api: ScriptedApi) -> None:
    api.pods = {"a": pod("a", 1)}
    api.watch_scripts.put([line("ADDED", pod("x", 20)), ("end",)])
    api.watch_scripts.put([line("ADDED", pod("y", 21)), ("end",)])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: len(api.watch_requests()) >= 3, "the third watch")
        assert names(view.objects) | {"a", "x", "y"} == {"a", "x", "y"}
    versions = [q.get("resourceVersion") for q in api.watch_requests()[:3]]
    assert versions == ["10", "20", "21"]
    assert len(api.list_requests()) == 1


def test_stop_while_the_watch_is_silent(api: ScriptedApi) -> None:
    api.watch_scripts.put([("hold",)])
    view = View()
    cache = make_cache(api, view)
    cache.start()
    wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "the watch to open")
    thread_cache = cache.cache("Pod")
    assert thread_cache.alive
    cache.stop(timeout=10)
    assert not thread_cache.alive
    assert not cache.batcher.alive


def test_unauthorized_waits_for_retry_instead_of_storming(api: ScriptedApi) -> None:
    # The first 401 is retried soon (a refreshed token may fix it), the second waits.
    api.list_statuses = [401, 401]
    api.pods = {"a": pod("a", 1)}
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: len(api.list_requests()) == 2, "the quick retry of the first 401")
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.ERROR, "the error state")
        state = cache.states()["Pod"]
        assert "unauthorized" in state.message.lower()
        assert "test-token" not in state.message
        time.sleep(0.3)  # many back-off periods of FAST: a storm would show up here
        assert len(api.list_requests()) == 2
        cache.retry("Pod")
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "live after retry")
    assert names(view.objects) == {"a"}
    assert len(api.list_requests()) == 3


def test_a_single_401_recovers_by_itself(api: ScriptedApi) -> None:
    api.list_statuses = [401]
    api.pods = {"a": pod("a", 1)}
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: view.phases[-1:] == [CachePhase.LIVE], "live without a retry()")
    assert len(api.list_requests()) == 2


def test_server_errors_are_retried_with_backoff(api: ScriptedApi) -> None:
    api.list_statuses = [500, 500]
    api.pods = {"a": pod("a", 1)}
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: view.phases[-1:] == [CachePhase.LIVE], "live after errors")
        assert cache.states()["Pod"].attempt == 0
    assert len(api.list_requests()) == 3
    assert cache.cache("Pod").failures == 2
    assert view.phases[-1] == CachePhase.LIVE


def test_watch_error_event_lists_again(api: ScriptedApi) -> None:
    # An ERROR event puts the stream's continuity in doubt: list again (as client-go's
    # reflector does), do not resume from the last resourceVersion.
    api.pods = {"a": pod("a", 1)}
    status = {"kind": "Status", "code": 500, "message": "internal error"}
    api.watch_scripts.put([line("MODIFIED", pod("a", 15)), line("ERROR", status)])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: len(api.watch_requests()) >= 2, "the second watch")
        wait_for(lambda: view.phases[-1:] == [CachePhase.LIVE], "live again")
    assert api.watch_requests()[1]["resourceVersion"] == "10"  # the relist's version
    assert len(api.list_requests()) == 2
    assert cache.cache("Pod").failures == 1
    assert cache.cache("Pod").relists == 1


def test_a_server_that_always_answers_410_is_backed_off(api: ScriptedApi) -> None:
    api.pods = {"a": pod("a", 1)}
    for _ in range(50):
        api.watch_scripts.put([gone_event()])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: cache.states()["Pod"].attempt >= 3, "the 410 streak to grow")
        state = cache.states()["Pod"]
        assert state.phase == CachePhase.SYNCING
        assert state.message == "resource version expired right after listing"
    assert cache.cache("Pod").failures >= 3
    assert names(view.objects) == {"a"}
    assert view.upsert_counts == {"uid-a": 1}  # relisting the same content emits nothing


def test_a_silent_watch_is_reopened_after_the_read_timeout(api: ScriptedApi) -> None:
    api.pods = {"a": pod("a", 1)}
    options = WatchOptions(watch_read_timeout=0.2, backoff=Backoff(base=0.01, cap=0.05), seed=2)
    view = View()
    cache = make_cache(api, view, options=options)
    with cache:
        wait_for(lambda: cache.cache("Pod").quiet_timeouts >= 2, "two read timeouts")
        assert cache.cache("Pod").dechunked_watches >= 2  # the socket's timeout, translated
        state = cache.states()["Pod"]
        assert state.phase == CachePhase.LIVE and state.attempt == 0
    assert cache.cache("Pod").failures == 0
    assert len(api.list_requests()) == 1
    assert {q["resourceVersion"] for q in api.watch_requests()} == {"10"}
    assert view.phases[-1] == CachePhase.LIVE
    assert CachePhase.RECONNECTING not in view.phases and CachePhase.ERROR not in view.phases


# -- reading the watch stream: de-chunked blocks, pacing, and urllib3's path -----------------


def event_line(event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "object": obj}).encode() + b"\n"


def test_a_burst_of_one_event_chunks_is_applied_in_fewer_reads(api: ScriptedApi) -> None:
    count = 300
    events = [event_line("ADDED", pod(f"p{i}", 11 + i)) for i in range(count)]
    api.watch_scripts.put([("burst", events, 0.0005), ("hold",)])
    view = View()
    cache = make_cache(api, view)  # the default pace
    with cache:
        wait_for(lambda: len(view.objects) == count, "every event in the view")
        pods = cache.cache("Pod")
        assert pods.dechunked_watches == 1
        # Each event came in a chunk and a write of its own; a busy watch is paced and reads
        # what gathered meanwhile.
        assert pods.watch_reads < count // 2, pods.watch_reads
        assert pods.watch_paces >= 1
        assert cache.states()["Pod"].resource_version == str(10 + count)
    assert view.upsert_counts == {f"uid-p{i}": 1 for i in range(count)}  # nothing lost
    assert pods.failures == 0


def test_lone_events_on_a_quiet_watch_are_not_paced(api: ScriptedApi) -> None:
    gates = [threading.Event() for _ in range(3)]
    script: list[Action] = []
    for index, gate in enumerate(gates):
        script += [("gate", gate), line("ADDED", pod(f"p{index}", 11 + index))]
    api.watch_scripts.put([*script, ("hold",)])
    view = View()
    cache = make_cache(api, view, options=dataclasses.replace(FAST, watch_pace=0.05))
    with cache:
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "the watch to open")
        for index, gate in enumerate(gates):
            time.sleep(0.2)  # quiet for longer than the pace
            gate.set()
            wait_for(lambda i=index: len(view.objects) == i + 1, f"event {index}")
        pods = cache.cache("Pod")
        assert pods.watch_reads == 3
        assert pods.watch_paces == 0


def test_stop_during_a_paced_wait_ends_the_thread(api: ScriptedApi) -> None:
    sent = threading.Event()
    api.watch_scripts.put(
        [line("ADDED", pod("first", 11)), ("gate", sent), line("ADDED", pod("held", 12)), ("hold",)]
    )
    view = View()
    # A pace far longer than the test: only stop() can end the wait.
    cache = make_cache(api, view, options=dataclasses.replace(FAST, watch_pace=600.0))
    cache.start()
    pods = cache.cache("Pod")
    wait_for(lambda: pods.get("uid-first") is not None, "the first event")
    wait_for(lambda: pods.watch_paces == 1, "the paced wait")
    sent.set()
    time.sleep(0.2)
    assert pods.get("uid-held") is None  # waiting, not reading
    returned = threading.Event()

    def stop() -> None:
        cache.stop(timeout=30)
        returned.set()

    threading.Thread(target=stop, daemon=True).start()
    assert returned.wait(60)
    assert not pods.alive


def test_a_watch_that_is_not_chunked_is_read_through_urllib3(api: ScriptedApi) -> None:
    api.watch_scripts.put([("length",), line("ADDED", pod("x", 11)), line("ADDED", pod("y", 12))])
    api.watch_scripts.put([("gzip",), line("ADDED", pod("z", 13))])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: names(view.objects) == {"x", "y", "z"}, "the events")
        pods = cache.cache("Pod")
        wait_for(lambda: pods.dechunked_watches >= 1, "the third watch open")
        # Only the third watch (silent, chunked) was de-chunked by ktui.
        assert (pods.watch_requests, pods.dechunked_watches) == (3, 1)
        assert pods.watch_reads >= 2
    versions = [q.get("resourceVersion") for q in api.watch_requests()[:3]]
    assert versions == ["10", "12", "13"]  # each watch ended normally and was resumed
    assert len(api.list_requests()) == 1
    # A body read through urllib3 to its end leaves the connection to the pool: reused.
    assert api.watch_peers[0] == api.watch_peers[1]


def test_a_dechunked_watch_ends_normally_despite_extensions_and_trailers(
    api: ScriptedApi,
) -> None:
    first = event_line("ADDED", pod("x", 20))
    api.watch_scripts.put(
        [
            ("raw", b"%x;name=value\r\n%s\r\n" % (len(first), first)),
            ("raw", b"0;last\r\nX-Trailer: yes\r\n\r\n"),
            ("ended",),
        ]
    )
    api.watch_scripts.put([line("ADDED", pod("y", 21)), ("end",)])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: len(api.watch_requests()) >= 3, "the third watch")
        wait_for(lambda: names(view.objects) == {"x", "y"}, "both events")
        assert cache.cache("Pod").dechunked_watches >= 2
    versions = [q.get("resourceVersion") for q in api.watch_requests()[:3]]
    assert versions == ["10", "20", "21"]
    assert len(api.list_requests()) == 1
    assert cache.cache("Pod").failures == 0
    # Read past http.client, the connection is closed rather than pooled: a new one each time.
    assert len(set(api.watch_peers[:3])) == 3


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(("raw", b"zz\r\n"), id="malformed chunk size"),
        pytest.param(("raw", b'40\r\n{"type"'), id="cut inside a chunk"),
        pytest.param(("cut",), id="cut between chunks"),
    ],
)
def test_a_broken_dechunked_stream_is_a_failure_and_lists_again(
    api: ScriptedApi, fault: Action
) -> None:
    api.pods = {"a": pod("a", 1)}
    api.watch_scripts.put([line("MODIFIED", pod("a", 15)), fault, ("cut",)])
    view = View()
    cache = make_cache(api, view)
    with cache:
        wait_for(lambda: len(api.watch_requests()) >= 2, "the second watch")
        wait_for(lambda: view.phases[-1:] == [CachePhase.LIVE], "live again")
        assert view.upsert_counts["uid-a"] >= 2  # the event before the fault was applied
    assert cache.cache("Pod").failures == 1
    assert len(api.list_requests()) == 2  # the continuity is in doubt: listed again
