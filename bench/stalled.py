"""Stalled clients against a running server, and the latency of everyone else meanwhile.

    python3 bench/stalled.py hold HOST PORT --connections N --seconds T --status FILE [--group G]
    python3 bench/stalled.py probe HOST PORT --duration S --probe PATH [--probe PATH…]

`hold` keeps N connections of two kinds for T seconds (--idle P: P % idle, default none), opened from eight loopback
source addresses of its own (127.0.0.2 on, eight per group G; each gives ~28,000 ephemeral
ports), at most 1,000 connects in flight, and writes its counts to FILE twice a second:
  - body: a complete `POST /v1/auth/login` head with `Content-Length: 1000000`, then one byte;
  - idle: a connection that sends nothing.
Whenever the server closes one, it is opened again at once, so that the server faces N stalled
clients for the whole run (an attacker does the same).

`probe` requests each path on a new connection per request (as a reader's browser would) with 4
clients for S seconds, each request with a 10 s timeout (a timeout counts as 10 s and as an
error), and prints one JSON line with the numbers.
"""

import argparse
import asyncio
import json
import os
import time


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Holder:
    def __init__(self, host, port, count, sources, idle_percent):
        self.host, self.port, self.count, self.sources = host, port, count, sources
        self.idle_percent = idle_percent
        self.open = 0
        self.opened = 0
        self.closed_by_server = 0
        self.connect_errors = 0
        self.gate = asyncio.Semaphore(1000)
        self.stop = asyncio.Event()
        self.ports = {}

    def head(self):
        return (
            f"POST /v1/auth/login HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
        ).encode()

    async def slot(self, index):
        source = self.sources[index % len(self.sources)]
        send = b"" if index % 100 < self.idle_percent else self.head()
        while not self.stop.is_set():
            try:
                async with self.gate:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port, local_addr=(source, 0)), 15
                    )
                    if send:
                        writer.write(send)
                        await writer.drain()
            except (OSError, asyncio.TimeoutError):
                self.connect_errors += 1
                await asyncio.sleep(0.5)
                continue
            self.open += 1
            self.opened += 1
            try:
                stop = asyncio.ensure_future(self.stop.wait())
                read = asyncio.ensure_future(reader.read(65536))
                while True:
                    done, _ = await asyncio.wait({stop, read}, return_when=asyncio.FIRST_COMPLETED)
                    if stop in done:
                        read.cancel()
                        break
                    data = read.result() if not read.exception() else b""
                    if not data:
                        self.closed_by_server += 1
                        stop.cancel()
                        break
                    read = asyncio.ensure_future(reader.read(65536))
            except OSError:
                self.closed_by_server += 1
            finally:
                self.open -= 1
                writer.transport.abort()


async def probe_once(host, port, path):
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10 - (time.perf_counter() - started))
        writer.transport.abort()
        ok = data.startswith(b"HTTP/1.1 200")
    except (OSError, asyncio.TimeoutError):
        ok = False
    return (time.perf_counter() - started) * 1000, ok


async def probe(host, port, path, seconds, clients=4):
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal errors
        while time.perf_counter() < deadline:
            ms, ok = await probe_once(host, port, path)
            latencies.append(ms if ok else max(ms, 10_000))
            errors += not ok

    await asyncio.gather(*(client() for _ in range(clients)))
    return {
        "path": path,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies, default=float("nan")), 2),
    }


async def hold(args):
    sources = [f"127.0.0.{i}" for i in range(2 + 8 * args.group, 10 + 8 * args.group)]
    holder = Holder(args.host, args.port, args.connections, sources, args.idle)
    slots = [asyncio.ensure_future(holder.slot(i)) for i in range(args.connections)]
    deadline = time.perf_counter() + args.seconds
    while time.perf_counter() < deadline:
        status = {
            "open": holder.open,
            "opened": holder.opened,
            "closed_by_server": holder.closed_by_server,
            "connect_errors": holder.connect_errors,
        }
        with open(args.status + ".tmp", "w") as f:
            json.dump(status, f)
        os.replace(args.status + ".tmp", args.status)
        await asyncio.sleep(0.5)
    holder.stop.set()
    await asyncio.wait(slots, timeout=10)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["hold", "probe"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--group", type=int, default=0)
    parser.add_argument("--idle", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--status", default="/dev/null")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--probe", action="append", default=[])
    args = parser.parse_args()
    if args.mode == "hold":
        await hold(args)
        return
    results = [await probe(args.host, args.port, path, args.duration) for path in args.probe]
    print(json.dumps(results))


asyncio.run(main())
