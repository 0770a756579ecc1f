"""One instance shared: by threads, by concurrent tasks, across event loops; and closing it."""

from __future__ import annotations

import asyncio
import threading

from relaybox_integrations import PublishResult, RelayBox
from tests.support.events_standin import EventsStandin
from tests.support.publish_check import node_check_publishes
from tests.support.servers import TEST_API_KEY, TEST_SECRET


def test_eight_threads_share_one_instance_and_its_connections(
    relaybox: RelayBox, standin: EventsStandin
) -> None:
    results: list[PublishResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(thread: int) -> None:
        start.wait()
        try:
            for index in range(25):
                results.append(relaybox.publish("chat:1", "tick", {"thread": thread, "i": index}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({result.request_id for result in results}) == 200
    assert {(p.data["thread"], p.data["i"]) for p in standin.published} == {
        (t, i) for t in range(8) for i in range(25)
    }
    assert standin.connections <= 8  # each thread's connection was kept and reused
    node_check_publishes([(p.body, p.signature) for p in standin.published], TEST_SECRET)


def test_fifty_concurrent_apublish_calls(relaybox: RelayBox, standin: EventsStandin) -> None:
    async def main() -> list[PublishResult]:
        try:
            return await asyncio.gather(
                *(relaybox.apublish("chat:1", "tick", {"i": i}) for i in range(50))
            )
        finally:
            await relaybox.aclose()

    results = asyncio.run(main())
    assert [result.timestamp for result in results] == [
        p.timestamp for p in sorted(standin.published, key=lambda p: p.data["i"])
    ]
    assert sorted(p.data["i"] for p in standin.published) == list(range(50))
    assert standin.connections <= 50
    node_check_publishes([(p.body, p.signature) for p in standin.published], TEST_SECRET)


def test_keep_alive_connections_are_reused(relaybox: RelayBox, standin: EventsStandin) -> None:
    for index in range(5):
        relaybox.publish("chat:1", "tick", index)

    async def main() -> None:
        for index in range(5):
            await relaybox.apublish("chat:1", "tick", index)
        await relaybox.aclose()

    asyncio.run(main())
    assert [r.connection for r in standin.requests] == [1] * 5 + [2] * 5


def test_each_event_loop_gets_its_own_session_closed_with_the_loop(
    standin: EventsStandin,
) -> None:
    relaybox = RelayBox(TEST_API_KEY, core_url=standin.url)
    sessions = []

    async def one_call() -> None:
        await relaybox.apublish("chat:1", "tick", "x")
        sessions.extend(c.session for c in relaybox._publisher()._async_transport._clients.values())

    asyncio.run(one_call())  # no aclose: asyncio.run's shutdown closes the session
    asyncio.run(one_call())
    assert len(set(sessions)) == 2
    assert all(session.closed for session in sessions)
    assert relaybox._publisher()._async_transport._clients == {}
    assert len(standin.published) == 2


def test_threads_with_their_own_loops(relaybox: RelayBox, standin: EventsStandin) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        async def main() -> None:
            for index in range(10):
                await relaybox.apublish("chat:1", "tick", index)
            await relaybox.aclose()

        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(standin.published) == 30


def test_close_and_aclose_leave_each_other_alone(standin: EventsStandin) -> None:
    relaybox = RelayBox(TEST_API_KEY, core_url=standin.url)

    async def main() -> None:
        relaybox.publish("chat:1", "sync", 1)  # connection 1, kept for the sync path
        await relaybox.apublish("chat:1", "async", 1)  # connection 2
        relaybox.close()  # closes connection 1 only
        await relaybox.apublish("chat:1", "async", 2)  # still connection 2
        await relaybox.aclose()  # closes connection 2
        relaybox.publish("chat:1", "sync", 2)  # a new connection 3
        await relaybox.apublish("chat:1", "async", 3)  # a new session: connection 4
        await relaybox.aclose()

    asyncio.run(main())
    relaybox.close()
    assert [(r.connection, r.body.count(b'"async"')) for r in standin.requests] == [
        (1, 0), (2, 1), (2, 1), (3, 0), (4, 1),
    ]  # fmt: skip


def test_context_managers_close_everything(standin: EventsStandin) -> None:
    with RelayBox(TEST_API_KEY, core_url=standin.url) as relaybox:
        relaybox.publish("chat:1", "e", 1)
    assert relaybox._publisher()._transport._pools.idle == {}

    async def main() -> None:
        async with RelayBox(TEST_API_KEY, core_url=standin.url) as instance:
            instance.publish("chat:1", "e", 2)
            await instance.apublish("chat:1", "e", 3)
        publisher = instance._publisher()
        assert publisher._transport._pools.idle == {}
        assert publisher._async_transport._clients == {}

    asyncio.run(main())
    assert len(standin.published) == 3
