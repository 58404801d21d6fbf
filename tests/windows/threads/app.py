import threading, queue
q = queue.Queue()
def work(n):
    q.put(sum(range(n)))
ts = [threading.Thread(target=work, args=(i * 1000,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(q.get() for _ in ts))
