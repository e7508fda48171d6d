#!/usr/bin/env python3
"""Idle resident memory of chaincode servers on their own (issue 13 §3).

Starts each server given on the command line REPS times as a plain-TCP
chaincode server (no peers, no TLS: CHAINCODE_SERVER_ADDRESS and
CHAINCODE_ID only), waits until it listens, then 0.5 s more, and reads
VmRSS, RssAnon and RssFile from /proc/<pid>/status before stopping it with
SIGTERM. Prints min-max of each per server, in MiB. Both medchain servers
(medchain-chaincode and chaincode/go's medchain-chaincode-go) take the
same variables.

Usage: bench/idle-rss.py [--reps 5] [--port 29123] SERVER...
(stdlib only; Linux).
"""

import argparse
import os
import socket
import subprocess
import time

FIELDS = ("VmRSS", "RssAnon", "RssFile")


def status_mib(pid: int) -> dict[str, float]:
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in FIELDS:
                values[key] = int(value.split()[0]) / 1024
    return values


def wait_listening(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode} before it listened")
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.005)
    raise SystemExit(f"the server did not listen on 127.0.0.1:{port} within {timeout} s")


def measure(server: str, port: int) -> dict[str, float]:
    env = dict(os.environ, CHAINCODE_SERVER_ADDRESS=f"127.0.0.1:{port}",
               CHAINCODE_ID="medchain_1.0:idle", RUST_LOG="info")
    process = subprocess.Popen([server], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, process, 10.0)
        time.sleep(0.5)
        return status_mib(process.pid)
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("servers", nargs="+", metavar="SERVER")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--port", type=int, default=29123)
    args = parser.parse_args()
    for server in args.servers:
        samples = [measure(server, args.port) for _ in range(args.reps)]
        ranges = ", ".join(
            f"{key} {min(s[key] for s in samples):.2f}-{max(s[key] for s in samples):.2f} MiB" for key in FIELDS)
        print(f"{server}: {ranges}")


if __name__ == "__main__":
    main()
