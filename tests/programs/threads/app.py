"""Threads: thread pool, locks, queues and barriers with deterministic results."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor


def square(n: int) -> int:
    return n * n


def main() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        print("pool sum", sum(pool.map(square, range(1000))))
    counter = 0
    lock = threading.Lock()

    def bump() -> None:
        nonlocal counter
        for _ in range(10000):
            with lock:
                counter += 1

    workers = [threading.Thread(target=bump, name=f"bump-{i}") for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("locked counter", counter)
    jobs: queue.Queue[int | None] = queue.Queue()
    results: queue.Queue[int] = queue.Queue()

    def consume() -> None:
        while True:
            item = jobs.get()
            if item is None:
                return
            results.put(item * 3)

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    for consumer in consumers:
        consumer.start()
    for i in range(30):
        jobs.put(i)
    for _ in consumers:
        jobs.put(None)
    for consumer in consumers:
        consumer.join()
    print("queue", sorted(results.get() for _ in range(results.qsize())))
    barrier = threading.Barrier(3)
    arrived: list[int] = []

    def meet(i: int) -> None:
        barrier.wait()
        with lock:
            arrived.append(i)

    meeting = [threading.Thread(target=meet, args=(i,)) for i in range(3)]
    for thread in meeting:
        thread.start()
    for thread in meeting:
        thread.join()
    print("barrier", sorted(arrived))
    local = threading.local()
    local.value = "main"
    seen: list[bool] = []
    side = threading.Thread(target=lambda: seen.append(hasattr(local, "value")))
    side.start()
    side.join()
    print("thread-local isolated", seen)
    print("threads left", threading.active_count())


main()
