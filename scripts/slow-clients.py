#!/usr/bin/env python3
"""Clients that pipeline requests and never read, against a running vitals: prints the
daemon's RSS while they hang on and after they are gone, and what health says meanwhile.

    scripts/slow-clients.py --port 8089 --pid PID [-n 300] [--requests 10]

Default request: a 7-day history query of 8 series at 1,000 points (~370 KB once the
daemon has sampled for a second or two).
"""
import argparse, json, socket, time, urllib.request

PATH = ("/api/v1/system/stats/history?range=7d&points=1000&metrics=cpu.percent,cpu.user,cpu.system,"
        "cpu.iowait,memory.percent,swap.percent,load.1m,net.rx_bytes_per_s")


def rss_mib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/system/health", timeout=20) as r:
            h = json.load(r)
    except OSError as e:
        return f"no answer ({e})"
    return h["status"], h["components"].get("connections")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--requests", type=int, default=10)
    p.add_argument("--path", default=PATH)
    p.add_argument("--hold", type=float, default=30.0, help="seconds the clients hang on")
    a = p.parse_args()
    with urllib.request.urlopen(f"http://127.0.0.1:{a.port}{a.path}", timeout=10) as r:
        size = len(r.read())
    print(f"answer size: {size} bytes; RSS before: {rss_mib(a.pid):.0f} MiB")
    req = f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * a.requests
    socks = []
    for _ in range(a.n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", a.port))
        s.sendall(req)
        socks.append(s)
    end = time.time() + a.hold
    while time.time() < end:
        time.sleep(5)
        print(f"  RSS {rss_mib(a.pid):.0f} MiB")
    held = rss_mib(a.pid)
    print(f"{a.n} clients x {a.requests} requests, not reading: RSS {held:.0f} MiB; health {health(a.port)}")
    for s in socks:
        s.close()
    time.sleep(3)
    after = rss_mib(a.pid)
    print(f"after they closed: RSS {after:.0f} MiB; health {health(a.port)}")
    # One line for `make bench` to read.
    print(f"held_rss_mib={held:.0f} peak_rss_mib={rss_mib(a.pid, 'VmHWM'):.0f} after_rss_mib={after:.0f} answer_bytes={size}")


if __name__ == "__main__":
    main()
