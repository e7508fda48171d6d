#!/usr/bin/env python3
"""Rust vs Go chaincode on one network, in one run (issue 13 §3).

Needs a network brought up with MEDCHAIN_SIDE_BY_SIDE=1 (and, for the
chaincode time of `latency`, MEDCHAIN_CHAINCODE_LOG=info,fabric_shim::timing=debug):
its `medchain` definition is served by the Rust server (process `chaincode`),
`medchain-go` by the Go reference server (`chaincode-medchain-go`), on the
same peers, channel and policy. The same client (our driver,
`medchain-bench client-run --driver ours`) and workload go to both, in
alternating order, REPS times:

* evaluate: `Get` one after the other (latency p50 / p95), and the server's
  CPU per `Get`;
* submit: `Store` one after the other (submit + commit latency), then with
  1, 16 and 64 in flight (committed tx/s), and the server's CPU per
  committed `Store` (both endorsements included);
* the server's resident memory idle (after a restart, before any call) and
  at peak (VmHWM after the runs);
* start-up: the server restarted with its own command line and
  environment; seconds until it listens and until a `Get` through the
  peers answers.

Usage: bench/chaincode-compare.py NETWORK_DIR [--reps 5] [--output FILE]
(stdlib only; prints the tables, writes every sample as JSON).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path("target/release/medchain-bench")
PROBE_OFFSETS = iter(())
TICK = os.sysconf("SC_CLK_TCK")
IMPLS = {"rust": ("profile.json", "chaincode"), "go": ("profile-go.json", "chaincode-medchain-go")}
EVALUATE = ["--get-warmup", "50", "--get-calls", "1000", "--store-warmup", "0",
            "--store-calls", "0", "--concurrency", "1", "--level-tx", "1"]
SUBMIT = ["--get-warmup", "0", "--get-calls", "1", "--store-warmup", "10",
          "--store-calls", "100", "--concurrency", "1,16,64", "--level-tx", "300"]
PROBE = ["--get-warmup", "0", "--get-calls", "1", "--store-warmup", "0",
         "--store-calls", "0", "--concurrency", "1", "--level-tx", "1"]
PER_REP_STORES = 1 + 10 + 100 + 3 * 300  # evaluate's one level tx + the submit run
PROBES = 500  # Store arguments kept for the start-up probes (one each)


def pid_of(net: Path, process: str) -> int:
    return int((net / "run" / f"{process}.pid").read_text().split()[0])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} for pid {pid}")


def run_driver(workload: Path, phases: list[str], offset: int) -> dict:
    out = subprocess.run(
        [str(BENCH), "client-run", "--driver", "ours", "--workload", str(workload),
         "--store-offset", str(offset), *phases],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def restart(net: Path, process: str, workload: Path) -> dict:
    """Stops the server by pid and starts it again with its own command
    line and environment (read from /proc); returns the start-up times."""
    pid = pid_of(net, process)
    # The pid file is "<pid> <executable>" (network/lib/process.sh): keep the
    # executable so that network/down.sh still recognises the new process.
    exe = os.path.realpath(f"/proc/{pid}/exe")
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    env = dict(kv.split(b"=", 1) for kv in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in kv)
    address = env[b"CHAINCODE_SERVER_ADDRESS"].decode()
    host, port = address.rsplit(":", 1)
    os.kill(pid, signal.SIGTERM)
    for _ in range(500):
        if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
            break
        time.sleep(0.01)
    log = open(net / "logs" / f"{process}.log", "ab")
    start = time.monotonic()
    child = subprocess.Popen(argv, env={k.decode(): v.decode() for k, v in env.items()},
                             stdout=log, stderr=log, start_new_session=True)
    (net / "run" / f"{process}.pid").write_text(f"{child.pid} {exe}\n")
    listening = None
    while listening is None:
        try:
            with socket.create_connection((host, int(port)), timeout=0.05):
                listening = time.monotonic() - start
        except OSError:
            time.sleep(0.002)
    idle_rss = status_kib(child.pid, "VmRSS")
    answered = None
    while answered is None:
        probe = next(PROBE_OFFSETS)
        try:
            if run_driver(workload, PROBE, probe)["evaluate"]["ok"] == 1:
                answered = time.monotonic() - start
        except subprocess.CalledProcessError:
            pass
        if answered is None:
            time.sleep(0.01)
    return {"listening_s": listening, "first_get_s": answered, "idle_rss_kib": idle_rss, "pid": child.pid}


def summary(values: list[float]) -> str:
    return f"{min(values):.4g} / {statistics.median(values):.4g} / {max(values):.4g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network_dir", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path("target/bench-results/chaincode-compare.json"))
    args = parser.parse_args()
    net = args.network_dir
    workloads = {}
    for impl, (profile, _) in IMPLS.items():
        workloads[impl] = Path(f"target/chaincode-compare-{impl}")
        subprocess.run([str(BENCH), "client-workload", "--profile", str(net / profile),
                        "--count", str(args.reps * PER_REP_STORES + PROBES), "--output", str(workloads[impl])],
                       check=True, stdout=subprocess.DEVNULL)
    global PROBE_OFFSETS
    PROBE_OFFSETS = iter(range(args.reps * PER_REP_STORES, args.reps * PER_REP_STORES + PROBES))
    results = {impl: [] for impl in IMPLS}
    for rep in range(args.reps):
        order = list(IMPLS) if rep % 2 == 0 else list(reversed(IMPLS))
        for impl in order:
            _, process = IMPLS[impl]
            startup = restart(net, process, workloads[impl])
            pid = startup["pid"]
            offset = rep * PER_REP_STORES
            before = cpu_s(pid)
            evaluate = run_driver(workloads[impl], EVALUATE, offset)
            mid = cpu_s(pid)
            submit = run_driver(workloads[impl], SUBMIT, offset + 1)
            after = cpu_s(pid)
            gets = evaluate["evaluate"]["ok"]
            stores = submit["submit"]["ok"] + sum(l["committed"] for l in submit["levels"])
            failed = (evaluate["evaluate"]["failed"] + submit["submit"]["failed"]
                      + sum(l["failed"] for l in submit["levels"]))
            results[impl].append({
                "rep": rep + 1,
                "startup": startup,
                "get_p50_s": percentile(evaluate["evaluate"]["latencies_s"], 0.5),
                "get_p95_s": percentile(evaluate["evaluate"]["latencies_s"], 0.95),
                "store_p50_s": percentile(submit["submit"]["latencies_s"], 0.5),
                "store_p95_s": percentile(submit["submit"]["latencies_s"], 0.95),
                "tx_per_s": {l["concurrency"]: l["committed"] / l["elapsed_s"] for l in submit["levels"]},
                "cpu_ms_per_get": 1000 * (mid - before) / max(gets, 1),
                "cpu_ms_per_store": 1000 * (after - mid) / max(stores, 1),
                "peak_rss_kib": status_kib(pid, "VmHWM"),
                "failed": failed,
                "load": os.getloadavg()[0],
            })
            print(f"rep {rep + 1} {impl}: {json.dumps(results[impl][-1])}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))

    def column(impl, key):
        return [r[key] if not isinstance(key, tuple) else r[key[0]][key[1]] for r in results[impl]]

    metrics = [
        ("Get evaluate p50 (ms)", "get_p50_s", 1000, "lower"),
        ("Get evaluate p95 (ms)", "get_p95_s", 1000, "lower"),
        ("Store submit+commit p50 (ms)", "store_p50_s", 1000, "lower"),
        ("Store submit+commit p95 (ms)", "store_p95_s", 1000, "lower"),
        ("committed tx/s, 1 in flight", ("tx_per_s", 1), 1, "higher"),
        ("committed tx/s, 16 in flight", ("tx_per_s", 16), 1, "higher"),
        ("committed tx/s, 64 in flight", ("tx_per_s", 64), 1, "higher"),
        ("chaincode CPU per Get (ms)", "cpu_ms_per_get", 1, "lower"),
        ("chaincode CPU per Store, 2 endorsements (ms)", "cpu_ms_per_store", 1, "lower"),
        ("resident memory idle (MiB)", ("startup", "idle_rss_kib"), 1 / 1024, "lower"),
        ("resident memory peak (MiB)", "peak_rss_kib", 1 / 1024, "lower"),
        ("start-up until listening (ms)", ("startup", "listening_s"), 1000, "lower"),
        ("start-up until a Get answers (ms)", ("startup", "first_get_s"), 1000, "lower"),
    ]
    print(f"| metric ({args.reps} reps, min / median / max) | Rust | Go | Rust/Go (median of per-rep ratios) |")
    print("|---|---|---|---|")
    for name, key, scale, _ in metrics:
        rust = [v * scale for v in column("rust", key)]
        go = [v * scale for v in column("go", key)]
        ratios = [r / g for r, g in zip(rust, go) if g]
        print(f"| {name} | {summary(rust)} | {summary(go)} | {statistics.median(ratios):.2f} |")
    failed = sum(r["failed"] for impl in results for r in results[impl])
    loads = [r["load"] for impl in results for r in results[impl]]
    print(f"\nfailed calls: {failed}; 1-min load average during the runs {min(loads):.2f}–{max(loads):.2f}")


if __name__ == "__main__":
    main()
