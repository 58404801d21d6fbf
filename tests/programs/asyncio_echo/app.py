"""asyncio TCP echo over 127.0.0.1 on an OS-assigned port: loopback must work in the sandbox."""

from __future__ import annotations

import asyncio
import socket


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(b"echo:" + line.upper())
        await writer.drain()
    writer.close()


async def slow_value(delay: float, value: str) -> str:
    await asyncio.sleep(delay)
    return value


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("listening on an OS-assigned port:", port > 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for text in ("héllo", "wörld ✓", "日本"):
        writer.write(text.encode() + b"\n")
        await writer.drain()
        print("client got", (await reader.readline()).decode().rstrip("\n"))
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("gather", await asyncio.gather(slow_value(0.03, "a"), slow_value(0.01, "b"),
                                         slow_value(0.02, "c")))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(5):
        queue.put_nowait(i * i)
    total = 0
    while not queue.empty():
        total += await queue.get()
    print("queue total", total)
    left, right = socket.socketpair()
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(left, b"pair \xe2\x9c\x93")
    print("socketpair", await loop.sock_recv(right, 100))
    left.close()
    right.close()
    try:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
    except asyncio.TimeoutError:
        print("timeout raised")


asyncio.run(main())
