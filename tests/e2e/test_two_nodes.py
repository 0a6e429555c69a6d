"""Two `guard serve` nodes behave as one (docs/operations.md, "Several API nodes").

Two real `guard serve` processes on different ports share one PostgreSQL and one
Redis, with one `guard worker --beat`, as behind a load balancer:

- the per-key rate limit holds across the nodes (one bucket per key in Redis: two
  nodes do not allow twice the limit);
- a key revoked with `guard apikey revoke` is refused on every node within 5 s,
  its open streams on either node included; a store-limited key is limited on each;
- a release caused through node 1 reaches a station stream open on node 2;
- 32 concurrent label requests for one clearance, split across both nodes, give
  exactly one label.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Barrier

import httpx
import pytest

from support.processes import unique, wait_until
from support.stack import (
    Api,
    Erp,
    Receiver,
    RedisServer,
    StationStream,
    Worker,
    broker,
    forget,
    new_key,
    revoke,
    stack_env,
)

pytestmark = pytest.mark.postgres

SECRET = "whsec-two-nodes"
REVOKE_BOUND_S = 5.0


@dataclass
class Cluster:
    nodes: tuple[Api, Api]
    worker: Worker
    receiver: Receiver
    database_url: str
    env: dict[str, str]
    workdir: object

    def logs(self) -> str:
        return "\n".join(
            [f"--- node {n + 1} ---\n{node.logs()}" for n, node in enumerate(self.nodes)]
            + [f"--- worker ---\n{self.worker.logs()}"]
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url):
    workdir = tmp_path_factory.mktemp("two-nodes")
    queue = broker()
    receiver = Receiver()
    env = stack_env(postgres_url, broker=queue, webhook_url=receiver.url, webhook_secret=SECRET)
    env["GUARD_WORKERS"] = "1"  # one process per node: two nodes, not one node of two workers
    started: list = []
    try:
        started.append(Api(workdir, env))
        started.append(Api(workdir, env))
        started.append(Worker(workdir, env).start())
        yield Cluster((started[0], started[1]), started[2], receiver, postgres_url, env, workdir)
    finally:
        for process in reversed(started):
            process.stop()
        queue.close()
        receiver.close()
        forget(postgres_url)


def record(erp: Erp, order_id: str, store_id: str = "s1", **facts: str) -> None:
    """One event per fact; the notice with a tracking number of the order's own (one shared by two
    live parcels of a store would hold both)."""
    erp.push(
        *(
            erp.event(order_id, fact, status, store_id=store_id, tracking_number=f"LP{order_id}")
            if status == "recorded"
            else erp.event(order_id, fact, status, store_id=store_id)
            for fact, status in facts.items()
        )
    )


def statuses_of(base: str, key: str, path: str) -> int:
    return httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=5).status_code


def test_a_release_through_node_1_reaches_a_station_stream_on_node_2(cluster):
    node1, node2 = cluster.nodes
    key = new_key(cluster.database_url, unique("erp"))
    stream = StationStream(node2.base, "pack-7", key)
    erp = Erp(node1.base, key)
    try:
        order_id = unique("o")
        record(erp, order_id, payment="processing", risk="cleared", shipping_notice="recorded", freight="paid")
        erp.hold_at(order_id, "pack-7")

        released = erp.http.post(f"/v1/holds/{order_id}/release", json={"reason": "bank confirmed by phone"})
        assert released.status_code == 200, released.text

        notification = stream.wait_for(order_id, "hold.released")
        assert notification["data"]["station_id"] == "pack-7"
        [hook] = cluster.receiver.wait_for(order_id, "hold.released", explain=cluster.logs)
        assert hook.json == notification
    finally:
        stream.close()
        erp.close()


def test_32_concurrent_label_requests_split_across_both_nodes_give_exactly_one_label(cluster):
    node1, node2 = cluster.nodes
    key = new_key(cluster.database_url, unique("erp"))
    erp = Erp(node1.base, key)
    order_id = unique("o")
    record(erp, order_id, payment="paid", risk="cleared", shipping_notice="recorded", freight="paid")
    token = Erp(node2.base, key).check(order_id, "pack-1")["clearance"]["token"]
    clients = [
        httpx.Client(base_url=node.base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        for node in (node1, node2)
    ]
    start = Barrier(32)

    def claim(n: int) -> httpx.Response:
        start.wait()
        return clients[n % 2].post("/v1/labels", json={"clearance": token, "station_id": "pack-1"})

    try:
        with ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(claim, range(32)))
    finally:
        for client in clients:
            client.close()
    assert sorted(a.status_code for a in answers) == [201] + [409] * 31, [
        a.text for a in answers if a.status_code >= 500
    ]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"CLEARANCE_USED"}
    winners = [n for n, a in enumerate(answers) if a.status_code == 201]
    assert len(erp.order(order_id)["labels"]) == 1, winners
    erp.close()


def test_a_revoked_key_is_refused_on_every_node_within_5_seconds_streams_included(cluster):
    name = unique("station")
    key = new_key(cluster.database_url, name, ["check"])
    streams = [StationStream(node.base, "pack-1", key) for node in cluster.nodes]
    try:
        for node in cluster.nodes:  # both nodes have the key in their cache
            assert statuses_of(node.base, key, "/v1/orders/none-such") == 404
        revoke(cluster.database_url, name)
        revoked_at = time.monotonic()

        refused_after = {}
        for n, node in enumerate(cluster.nodes):
            wait_until(
                lambda node=node: statuses_of(node.base, key, "/v1/orders/none-such") == 401,
                REVOKE_BOUND_S + 1,
                f"node {n + 1} refusing the revoked key",
                cluster.logs,
            )
            refused_after[f"node {n + 1}"] = time.monotonic() - revoked_at
        for n, stream in enumerate(streams):
            wait_until(
                lambda stream=stream: not stream._thread.is_alive(),
                REVOKE_BOUND_S + 1,
                f"stream on node {n + 1} ending",
            )
            refused_after[f"stream on node {n + 1}"] = time.monotonic() - revoked_at
        print(f"\nrevoked key refused after: { {what: round(s, 2) for what, s in refused_after.items()} }")
        assert max(refused_after.values()) <= REVOKE_BOUND_S, refused_after
    finally:
        for stream in streams:
            stream.close()


def test_a_store_limited_key_is_limited_on_every_node(cluster):
    node1, node2 = cluster.nodes
    erp = Erp(node1.base, new_key(cluster.database_url, unique("erp")))
    theirs = unique("o-b")
    record(erp, theirs, store_id="store-b", payment="processing", shipping_notice="recorded")
    erp.hold_at(theirs, "pack-1")
    limited = new_key(cluster.database_url, unique("sup-a"), ["check", "holds", "supervise"], stores=["store-a"])
    try:
        for node in (node1, node2):
            assert statuses_of(node.base, limited, f"/v1/orders/{theirs}") == 404
            holds = httpx.get(
                f"{node.base}/v1/holds", headers={"Authorization": f"Bearer {limited}"}, timeout=5
            ).json()["items"]
            assert theirs not in [item["order_id"] for item in holds]
            notifications = httpx.get(
                f"{node.base}/v1/notifications?state=pending",
                headers={"Authorization": f"Bearer {limited}"},
                timeout=5,
            ).json()["items"]
            assert theirs not in [item["order_id"] for item in notifications]
    finally:
        erp.close()


def test_the_per_key_rate_limit_holds_across_nodes(tmp_path, postgres_url):
    # Nodes of their own, on a Redis of their own, with a small bucket that barely refills.
    redis = RedisServer(tmp_path).start()
    env = stack_env(postgres_url, broker=redis.broker, webhook_url="http://127.0.0.1:9/none", webhook_secret=SECRET)
    env.update(GUARD_WORKERS="1", GUARD_RATE_LIMIT_PER_S="0.01", GUARD_RATE_LIMIT_BURST="20")
    nodes: list[Api] = []
    try:
        nodes += [Api(tmp_path, env), Api(tmp_path, env)]
        key = new_key(postgres_url, unique("loop"))
        answers = [statuses_of(nodes[n % 2].base, key, "/v1/orders/none-such") for n in range(40)]
        assert answers.count(404) == 20 and answers.count(429) == 20, answers  # 20 in all, not 20 per node
        # Another key has a bucket of its own, on either node.
        other = new_key(postgres_url, unique("station"))
        assert statuses_of(nodes[1].base, other, "/v1/orders/none-such") == 404
    finally:
        for node in nodes:
            node.stop()
        redis.stop()
        forget(postgres_url)
