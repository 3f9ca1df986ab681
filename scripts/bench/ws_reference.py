#!/usr/bin/env python3
"""WebSocket broadcast reference for `make bench`.

  ws_reference.py serve PORT PAYLOAD_FILE
      A server on Python's `websockets` library that broadcasts, every 500 ms aligned to
      the wall clock, the same envelope Vitals sends on `system_stats`
      ({"type":"event","topic":"system_stats","ts":...,"seq":...,"data":<payload>}).
  ws_reference.py measure URL N SECONDS
      One asyncio client holding N connections (raw sockets and a minimal RFC 6455 frame
      reader, so the client costs the same whichever server it measures). Prints
      `clients=N messages=M delay_p50_ms=... delay_p99_ms=... missed_seq=...` where the
      delay runs from the message's `ts` to its arrival.

The same client measures Vitals and this server in one run, so the two figures compare.
"""
import asyncio
import base64
import json
import os
import re
import sys
import time

TS = re.compile(rb'"ts":(\d+)')
SEQ = re.compile(rb'"seq":(\d+)')


async def serve(port, payload):
    import websockets  # installed into the bench's own virtualenv

    clients = set()

    async def handler(ws):
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        seq = 0
        while True:
            now = time.time()
            await asyncio.sleep(0.5 - (now % 0.5))
            seq += 1
            ts = int(time.time() * 1000)
            message = b'{"type":"event","topic":"system_stats","ts":%d,"seq":%d,"data":%s}' % (ts, seq, payload)
            websockets.broadcast(clients, message.decode())


class Client:
    def __init__(self):
        self.last_seq = 0
        self.missed = 0


async def one_client(host, port, path, client, delays, state):
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError("no upgrade: " + head.split(b"\r\n", 1)[0].decode())
    state["upgraded"] += 1
    while True:
        b0, b1 = await reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(await reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(n)
        arrival = time.time() * 1000
        opcode = b0 & 0x0F
        if opcode == 0x9:  # ping: answer with a masked pong (zero key)
            writer.write(bytes([0x8A, 0x80 | n, 0, 0, 0, 0]) + payload)
            continue
        if opcode != 0x1 or not state["measuring"]:
            continue
        ts, seq = TS.search(payload[:200]), SEQ.search(payload[:200])
        if not ts or not seq:
            continue
        delays.append(arrival - int(ts.group(1)))
        s = int(seq.group(1))
        if client.last_seq and s > client.last_seq + 1:
            client.missed += s - client.last_seq - 1
        client.last_seq = s


async def measure(url, n, seconds):
    m = re.match(r"ws://([^:/]+):(\d+)(/.*)?$", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
    delays, state = [], {"measuring": False, "upgraded": 0}
    clients = [Client() for _ in range(n)]
    tasks = []
    for c in clients:
        tasks.append(asyncio.create_task(one_client(host, port, path, c, delays, state)))
        if len(tasks) % 200 == 0:
            await asyncio.sleep(0.05)  # let the server accept before the next batch
    await asyncio.sleep(3)  # warm-up: every connection open and receiving
    state["measuring"] = True
    for c in clients:
        c.last_seq, c.missed = 0, 0
    await asyncio.sleep(seconds)
    state["measuring"] = False
    for t in tasks:
        t.cancel()
    delays.sort()

    def pct(p):
        return delays[min(len(delays) - 1, int(len(delays) * p / 100))] if delays else float("nan")

    print(f"clients={n} upgraded={state['upgraded']} messages={len(delays)} "
          f"missed_seq={sum(c.missed for c in clients)} delay_p50_ms={pct(50):.2f} delay_p99_ms={pct(99):.2f}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        with open(sys.argv[3], "rb") as f:
            payload = f.read().strip()
        asyncio.run(serve(int(sys.argv[2]), payload))
    elif len(sys.argv) == 5 and sys.argv[1] == "measure":
        asyncio.run(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
