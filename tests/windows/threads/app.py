# Threads and a queue.
import queue
import threading

results = queue.Queue()


def work(n):
    results.put(sum(range(n)))


threads = [threading.Thread(target=work, args=(i * 1000,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.get() for _ in threads))
