#!/usr/bin/env python3
"""Admission for heavy operations (issue 12 §2), printed, not asserted.

Starts `fundledger serve --demo` on SQLite three times, first without admission
(`--max-heavy-operations 1000`: every heavy operation runs at once, as before) then with
2 permits, then with the default, 1; each time it prints a simple anonymous query's median and p90
alone and while 4 attackers loop the largest query the complexity cap lets through (150
aliases of funds { rounds { applications } }). Every request body differs (alias names),
so the public cache answers none of them.

    python3 tests/bench/admission.py            # BIN=target/debug by default
Knobs: BIN, SAMPLES=30, ATTACKERS=4, ALIASES=150, PORT=18191.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BIN = os.environ.get("BIN", "target/debug")
SAMPLES = int(os.environ.get("SAMPLES", "30"))
ATTACKERS = int(os.environ.get("ATTACKERS", "4"))
ALIASES = int(os.environ.get("ALIASES", "150"))
PORT = int(os.environ.get("PORT", "18191"))
URL = f"http://127.0.0.1:{PORT}/graphql"


def post(query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        URL, body, {"Content-Type": "application/json"}, method="POST"
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    return time.monotonic() - started, answer


def heavy(tag):
    return "{ %s }" % " ".join(
        f"{tag}_{i}: funds {{ id rounds {{ id applications {{ id title amountRequested }} }} }}"
        for i in range(ALIASES)
    )


def simple_times(counter):
    times = []
    for _ in range(SAMPLES):
        counter[0] += 1
        elapsed, answer = post("{ s%d: funds { id name } }" % counter[0])
        assert "errors" not in answer, answer
        times.append(elapsed * 1000)
    return times


def summary(times):
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return f"median {statistics.median(times):8.1f} ms  p90 {p90:8.1f} ms"


def attack(stop, tally, index):
    n = 0
    while not stop.is_set():
        n += 1
        _, answer = post(heavy(f"a{index}x{n}"))
        code = (answer.get("errors") or [{}])[0].get("extensions", {}).get("code", "ok")
        tally[code] = tally.get(code, 0) + 1


def run(label, max_heavy):
    work = tempfile.mkdtemp()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{work}/bench.db",
        FUNDLEDGER_JWT_SECRET="bench-admission-secret-0123456789abcdef",
        FUNDLEDGER_NO_REFERENCE_GEOGRAPHY="true",
        FUNDLEDGER_LOG_FORMAT="json",
    )
    server = subprocess.Popen(
        [f"{BIN}/fundledger", "serve", "--demo", "--listen", f"127.0.0.1:{PORT}",
         "--max-heavy-operations", str(max_heavy)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/serve.err", "w"),
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1)
                break
            except Exception:
                if server.poll() is not None:
                    sys.exit(open(f"{work}/serve.err").read())
                time.sleep(0.2)
        # On the demo data 150 aliases pass the complexity cap but reach the 50,000
        # resolved values and are stopped (BAD_INPUT): the work up to there is the attack.
        elapsed, answer = post(heavy("probe"))
        probe = (answer.get("errors") or [{}])[0].get("extensions", {}).get("code", "ok")
        counter = [0]
        alone = simple_times(counter)
        stop, tally = threading.Event(), {}
        threads = [threading.Thread(target=attack, args=(stop, tally, i)) for i in range(ATTACKERS)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        attacked = simple_times(counter)
        stop.set()
        for thread in threads:
            thread.join()
        print(f"{label:<32} one heavy query alone {elapsed * 1000:7.0f} ms ({probe})")
        print(f"{'':<32} simple alone:            {summary(alone)}")
        print(f"{'':<32} simple under {ATTACKERS} attackers: {summary(attacked)}"
              f"  attackers' answers {tally}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    run("baseline (no admission)", 1000)
    run("admission (2 permits)", 2)
    run("admission (1 permit, default)", 1)
