#!/usr/bin/env python3
"""Throughput of 1, 2 and 3 servers on one PostgreSQL behind haproxy (docs/SCALING.md, issue 15 item 8).

For each node count: a fresh PostgreSQL database, that many `rapport serve` processes (the binary in RAPPORT_BIN,
a release build for figures worth keeping) behind Debian's haproxy (round-robin per request), a clinician with a
personal API token and 200 clients on the clinician's care team. Then, with Debian's `wrk` through haproxy:

  - reads: `GET /api/v1/clients/{id}` over the 200 clients (each read authorised, decrypted and audited before
    it is answered);
  - the ceiling: `GET /healthz` through the same haproxy, in the same run;

and afterwards the checks that keep the figures honest: the `client.read` audit entries are at least the
answered reads (a read is never answered before its entry is durable), no answer was an error, and `rapport
audit verify` says the chains are intact.

Needs PostgreSQL (RAPPORT_TEST_PG_URL), haproxy and wrk (each installed by package name when missing).

  RAPPORT_BIN=target/release/rapport scripts/robustness/scaling.py [--nodes 1,2,3] [--seconds 10]
      [--connections 16] [--json out.json]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

from rapport_proc import Database, Haproxy, Http, Server, api_token, audit_verify, create_account

WRK_LUA = """
counter = 0
ids = {}
for line in io.lines(os.getenv("SCALING_IDS")) do ids[#ids + 1] = line end
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/clients/" .. ids[(counter % #ids) + 1], {["Authorization"] = "Bearer " .. os.getenv("SCALING_TOKEN")})
end
"""


def ensure_tools():
    missing = [tool for tool in ("haproxy", "wrk") if not shutil.which(tool)]
    if missing:
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, stdout=subprocess.DEVNULL)


def wrk(url, seconds, connections, script=None, env=None):
    """One wrk run: (requests per second, p50 ms, p99 ms, completed requests, non-2xx answers and socket
    errors)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})}).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return None
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "requests": done, "errors": bad}


def run(nodes, seconds, connections):
    db = Database("postgres", tag="scale")
    servers, proxy = [], None
    try:
        subprocess.run([os.environ["RAPPORT_BIN"], "--data-dir", db.dir, "migrate"], check=True,
                       stdout=subprocess.DEVNULL)
        servers = [Server(db, name=f"node{i + 1}") for i in range(nodes)]
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready()
        password = create_account(db, "clinician@scaling.test", "Scaling Clinician", ["clinician"], "UTC")
        proxy = Haproxy(db.dir, servers)
        token = api_token(proxy.base, "clinician@scaling.test", password)
        api = Http(proxy.base, token)
        ids = []
        for i in range(200):
            status, body, _ = api.request("POST", "/api/v1/clients", body={
                "legal_name": f"Scaling Client {i}", "date_of_birth": "1980-01-01", "time_zone": "UTC",
                "email": f"client{i}@scaling.test", "phone": "+49 30 1234567"})
            if status != 201:
                raise RuntimeError(f"POST /api/v1/clients answered {status}: {body}")
            ids.append(body["id"])
        api.close()
        ids_file = os.path.join(db.dir, "ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(ids) + "\n")
        script = os.path.join(db.dir, "read.lua")
        with open(script, "w") as f:
            f.write(WRK_LUA)
        before = int(db.query("SELECT COUNT(*) FROM audit_log WHERE action = 'client.read'")[0][0])
        reads = wrk(proxy.base + "/", seconds, connections, script,
                    {"SCALING_IDS": ids_file, "SCALING_TOKEN": token})
        audited = int(db.query("SELECT COUNT(*) FROM audit_log WHERE action = 'client.read'")[0][0]) - before
        ceiling = wrk(proxy.base + "/healthz", seconds, connections)
        intact, verdict = audit_verify(db)
        answered = reads["requests"] - reads["errors"]
        ok = intact and reads["errors"] == 0 and audited >= answered
        return {"nodes": nodes, "reads": reads, "audited_reads": audited, "healthz": ceiling,
                "audit_verify": verdict, "ok": ok}
    finally:
        if proxy:
            proxy.stop()
        for s in servers:
            s.stop()
        db.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nodes", default="1,2,3")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--json")
    args = p.parse_args()
    ensure_tools()
    print(f"scaling: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"wrk -t2 -c{args.connections} -d{args.seconds}s through haproxy", flush=True)
    results = []
    for n in (int(x) for x in args.nodes.split(",")):
        r = run(n, args.seconds, args.connections)
        results.append(r)
        rd, hz = r["reads"], r["healthz"]
        print(f"{n} node(s): audited reads {rd['rps']:,.0f}/s (p50 {rd['p50_ms']} ms, p99 {rd['p99_ms']} ms, "
              f"{rd['requests']} answered, {rd['errors']} errors, {r['audited_reads']} audited); "
              f"/healthz {hz['rps']:,.0f}/s; {r['audit_verify']}; {'ok' if r['ok'] else 'FAILED'}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
