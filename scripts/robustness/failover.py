#!/usr/bin/env python3
"""Failover: the PostgreSQL primary is killed during a booking load, and Rapport must lose nothing it acknowledged.

  1. pg_pair.py builds a pg_auto_failover pair (monitor, primary, synchronous standby) from Debian's packages.
  2. `rapport serve` starts on pg_autoctl's multi-host URL (`...?target_session_attrs=read-write`).
  3. Writer threads book single sessions at random hours, and bursts of simultaneous bookings of one slot, each
     with an Idempotency-Key; a poller asks GET /readyz every 0.2 s.
  4. After --load-before seconds the primary's node is killed with SIGKILL (pg_autoctl, PostgreSQL and every
     backend), as when its machine dies. The load goes on through the outage: a booking that cannot be kept
     must be answered 503 with our error body and its request id, or not at all.
  5. Once /readyz answers 200 again (the standby promoted, Rapport moved to it by itself), the load goes on for
     --load-after seconds. Every request answered 503 or not at all is then sent again with its key and body, as
     a client that did not get its booking would.
  6. Checks: the server was never restarted; /readyz was 503 during the outage and 200 after; every booking
     answered 201 is stored and no stored booking went unacknowledged; each has its creation entry in the audit
     log; one clinician never has two overlapping live appointments; each burst got at most one 201; bookings
     were acknowledged after the failover; `rapport audit verify` passes on the new primary.

A summary (outage, bookings acknowledged before, during and after, 503s, lost) is printed and written as JSON
with --json. Any failed check exits 1 saying what failed.

  RAPPORT_BIN=target/debug/rapport scripts/robustness/failover.py [--json out.json]
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from pg_pair import Pair, install, psql
from rapport_proc import Http, Server, api_token, audit_verify, create_account, rapport


class HaDatabase:
    """The pair as `rapport_proc` expects a database: a data directory (the keyring) and the multi-host URL."""

    def __init__(self, url):
        self.kind = "postgres"
        self.url = url
        self.dir = tempfile.mkdtemp(prefix="rapport-ha-data-")

    def args(self):
        return ["--data-dir", self.dir, "--database-url", self.url]

    def query(self, sql):
        # psql is libpq: it reads the multi-host URL and connects to the host that accepts writes.
        return [tuple(line.split("|")) for line in psql(self.url, sql).splitlines() if line]

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Ledger:
    """What the clients were told, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}  # booking id -> phase it was acknowledged in
        self.retry = []  # (body, key) of bookings answered 503 or not at all
        self.unavailable = 0  # 503s with our error body and a request id
        self.unanswered = 0  # connection broken or timed out without an answer
        self.refused = 0  # 409: the slot was taken
        self.bursts = []  # 201s per burst of simultaneous bookings of one slot
        self.errors = []
        self.phase = "before"
        self.slowest = 0.0

    def record(self, status, answer, body, key, took):
        with self.lock:
            self.slowest = max(self.slowest, took)
            if status == 201 and isinstance(answer, dict):
                sessions = answer.get("appointments") or []
                if len(sessions) != 1:
                    self.errors.append(f"a single booking answered {len(sessions)} sessions")
                for s in sessions:
                    if s["id"] in self.acked:
                        self.errors.append(f"booking {s['id']} acknowledged twice")
                    self.acked[s["id"]] = self.phase
                return 201
            if status == 409:
                self.refused += 1
                return 409
            if status == 503:
                ok = isinstance(answer, dict) and answer.get("error") == "unavailable" and answer.get("request_id")
                if not ok:
                    self.errors.append(f"a 503 without our error body and request id: {str(answer)[:200]}")
                self.unavailable += 1
                self.retry.append((body, key))
                return 503
            if status is None:
                self.unanswered += 1
                self.retry.append((body, key))
                return None
            self.errors.append(f"POST /api/v1/appointments answered {status}: {str(answer)[:300]}")
            return status


class Load:
    def __init__(self, base, token, clinician, clients, ledger, seed):
        self.base, self.token, self.clinician, self.clients = base, token, clinician, clients
        self.ledger = ledger
        self.stop = threading.Event()
        self.tomorrow = date.today() + timedelta(days=1)
        self.seed = seed

    def booking(self, rng, start=None):
        if start is None:
            day = self.tomorrow + timedelta(days=rng.randrange(0, 700))
            start = f"{day.isoformat()}T{rng.randrange(0, 24):02d}:00"
        return {
            "type_key": "individual", "clinician_id": self.clinician, "client_ids": [rng.choice(self.clients)],
            "start": start, "time_zone": "UTC", "outside_working_hours": True,
        }

    def send(self, http, body, key):
        """One booking; its status, or None when the connection broke or timed out without an answer."""
        started = time.monotonic()
        try:
            status, answer, _ = http.request("POST", "/api/v1/appointments", body=body,
                                             headers={"Idempotency-Key": key})
        except Exception:  # noqa: BLE001 - no answer: not acknowledged, sent again at the end
            status, answer = None, None
        return self.ledger.record(status, answer, body, key, time.monotonic() - started)

    def writer(self, i):
        rng = random.Random(self.seed * 1000 + i)
        # Longer than the server's 30 s wait for a pooled connection, so its 503 is heard rather than cut off.
        http = Http(self.base, self.token, timeout=90)
        while not self.stop.is_set():
            if rng.random() < 0.1:
                self.burst(rng)
            else:
                self.send(http, self.booking(rng), str(uuid.uuid4()))
        http.close()

    def burst(self, rng, n=4):
        """n simultaneous bookings of one slot, each for a client picked at random: at most one may get 201."""
        day = self.tomorrow + timedelta(days=rng.randrange(0, 700))
        start = f"{day.isoformat()}T{rng.randrange(0, 24):02d}:30"
        barrier = threading.Barrier(n)
        results = []

        def one():
            http = Http(self.base, self.token, timeout=90)
            try:
                barrier.wait(5)
            except threading.BrokenBarrierError:
                pass
            results.append(self.send(http, self.booking(rng, start), str(uuid.uuid4())))
            http.close()

        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with self.ledger.lock:
            self.ledger.bursts.append(results.count(201))


class Readiness:
    """GET /readyz every 0.2 s: (seconds since start, status or None) whenever the answer changes."""

    def __init__(self, base, t0):
        self.base, self.t0 = base, t0
        self.changes = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        last = "unset"
        while not self.stop.is_set():
            http = Http(self.base, timeout=15)
            try:
                status = http.request("GET", "/readyz")[0]
            except Exception:  # noqa: BLE001
                status = None
            http.close()
            if status != last:
                self.changes.append((time.monotonic() - self.t0, status))
                last = status
            time.sleep(0.2)

    def ready_since(self, t):
        """The first moment after t from which /readyz said 200, if it did (and still does)."""
        after = [c for c in self.changes if c[0] >= t]
        return after[-1][0] if after and after[-1][1] == 200 else None


OVERLAPS = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.clinician_id = b.clinician_id AND a.id < b.id
 AND a.start_at < b.end_at AND b.start_at < a.end_at
WHERE a.status NOT IN ('cancelled', 'late_cancelled') AND b.status NOT IN ('cancelled', 'late_cancelled')
"""


def retry(base, token, ledger):
    """Sends every booking answered 503 or not at all again with its key; each must now be answered."""
    http = Http(base, token, timeout=90)
    pending, ledger.retry = ledger.retry, []
    replayed = 0
    ledger.phase = "retried"
    for body, key in pending:
        status, answer, res = http.request("POST", "/api/v1/appointments", body=body,
                                           headers={"Idempotency-Key": key})
        if res.getheader("Idempotent-Replayed") == "true":
            replayed += 1
        if ledger.record(status, answer, body, key, 0) not in (201, 409):
            ledger.errors.append(f"a booking sent again after the failover answered {status}")
    http.close()
    return len(pending), replayed


def check(db, ledger, server, readiness, kill_at, summary):
    failures = list(ledger.errors)
    if server.proc.poll() is not None:
        failures.append(f"rapport serve exited ({server.proc.returncode}): it must ride the failover out")
    stored = {r[0] for r in db.query("SELECT id::text FROM appointments")}
    acked = set(ledger.acked)
    lost = acked - stored
    unacked = stored - acked
    summary["lost"] = len(lost)
    if lost:
        failures.append(f"{len(lost)} acknowledged booking(s) missing after the failover, e.g. {sorted(lost)[:3]}")
    if unacked:
        failures.append(f"{len(unacked)} stored booking(s) nobody was told about, e.g. {sorted(unacked)[:3]}")
    audited = [r[0] for r in db.query(
        "SELECT resource_id FROM audit_log WHERE action = 'appointment.create' AND outcome = 'ok'")]
    if len(audited) != len(set(audited)) or set(audited) != stored:
        failures.append(f"{len(stored)} bookings but {len(audited)} creation entries in the audit log")
    overlaps = int(db.query(OVERLAPS)[0][0])
    if overlaps:
        failures.append(f"{overlaps} pair(s) of overlapping appointments of one clinician (double-booking)")
    if any(n > 1 for n in ledger.bursts):
        failures.append(f"a burst of simultaneous bookings of one slot got more than one 201: {ledger.bursts}")
    after = sum(1 for phase in ledger.acked.values() if phase == "after")
    if after == 0:
        failures.append("no booking was acknowledged after the failover: Rapport did not reconnect by itself")
    during = [c for c in readiness.changes if c[0] >= kill_at]
    if not any(status != 200 for _, status in during):
        failures.append(f"/readyz never said the database was away during the outage: {readiness.changes}")
    if readiness.ready_since(kill_at) is None:
        failures.append(f"/readyz did not answer 200 again after the failover: {readiness.changes}")
    intact, verdict = audit_verify(db)
    summary["audit"] = verdict
    if not intact:
        failures.append(f"audit verify: {verdict}")
    return failures


def run(args):
    install()
    pair = Pair()
    db = server = readiness = load = None
    summary = {"command": "scripts/test --ha", "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        summary["pair_up_s"] = round(pair.up(), 1)
        first = pair.primary()
        sync = pair.synchronous(first)
        summary["synchronous_commit"], summary["synchronous_standby_names"] = sync
        if sync[0] != "on" or not sync[1]:
            raise RuntimeError(f"the primary does not wait for its standby: synchronous_commit={sync[0]}, "
                               f"synchronous_standby_names={sync[1]!r}")
        db = HaDatabase(pair.uri())
        summary["url"] = db.url
        print(f"pair up in {summary['pair_up_s']} s: {first} primary, synchronous standby ({sync[1]}); {db.url}",
              flush=True)
        rapport(db, "migrate")
        password = create_account(db, "ha.clinician@example.org", "HA Clinician", ["clinician"], "UTC")
        server = Server(db).start()
        server.wait_ready()
        token = api_token(server.base, "ha.clinician@example.org", password)
        http = Http(server.base, token)
        status, me, _ = http.request("GET", "/api/v1/me")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/me answered {status}")
        clients = []
        for n in range(8):
            status, c, _ = http.request("POST", "/api/v1/clients", body={
                "legal_name": f"Failover Client {n}", "date_of_birth": "1980-01-15", "time_zone": "UTC"})
            if status != 201:
                raise RuntimeError(f"creating a client answered {status}: {c}")
            clients.append(c["id"])
        http.close()

        ledger = Ledger()
        t0 = time.monotonic()
        readiness = Readiness(server.base, t0)
        readiness.thread.start()
        load = Load(server.base, token, me["id"], clients, ledger, args.seed)
        threads = [threading.Thread(target=load.writer, args=(i,)) for i in range(args.writers)]
        for t in threads:
            t.start()
        time.sleep(args.load_before)

        with ledger.lock:
            ledger.phase = "during"
        kill_at = time.monotonic() - t0
        pair.kill(first)
        print(f"killed {first} (the primary) at {kill_at:.1f} s; {len(ledger.acked)} bookings acknowledged",
              flush=True)
        deadline = time.monotonic() + args.outage_limit
        promoted_at = None
        while time.monotonic() < deadline:
            if promoted_at is None and pair.primary() == pair.other(first):
                promoted_at = time.monotonic() - t0
            if readiness.ready_since(kill_at) is not None and promoted_at is not None:
                break
            time.sleep(0.5)
        ready_at = readiness.ready_since(kill_at)
        if ready_at is None:
            raise RuntimeError(f"no failover within {args.outage_limit} s: /readyz {readiness.changes}\n"
                               f"{pair.show_state()}\n{server.log()}")
        with ledger.lock:
            ledger.phase = "after"
        print(f"{pair.other(first)} promoted at {promoted_at:.1f} s, /readyz 200 again at {ready_at:.1f} s",
              flush=True)
        time.sleep(args.load_after)
        load.stop.set()
        for t in threads:
            t.join(120)
        readiness.stop.set()
        readiness.thread.join(30)

        resent, replayed = retry(server.base, token, ledger)
        summary.update({
            "outage_s": round(ready_at - kill_at, 1),
            "promoted_after_s": round(promoted_at - kill_at, 1),
            "readyz": [(round(t, 1), s) for t, s in readiness.changes],
            "acknowledged": len(ledger.acked),
            "acknowledged_before": sum(1 for p in ledger.acked.values() if p == "before"),
            "acknowledged_during": sum(1 for p in ledger.acked.values() if p == "during"),
            "acknowledged_after": sum(1 for p in ledger.acked.values() if p == "after"),
            "acknowledged_on_retry": sum(1 for p in ledger.acked.values() if p == "retried"),
            "answered_503": ledger.unavailable,
            "unanswered": ledger.unanswered,
            "resent": resent,
            "resent_had_committed": replayed,
            "refused_409": ledger.refused,
            "bursts": len(ledger.bursts),
            "slowest_answer_s": round(ledger.slowest, 1),
        })
        failures = check(db, ledger, server, readiness, kill_at, summary)
        summary["failures"] = failures
        print(json.dumps({k: v for k, v in summary.items() if k != "readyz"}, indent=1))
        if failures:
            print("failover FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            print(server.log(), file=sys.stderr)
        return summary
    finally:
        if load:
            load.stop.set()
        if readiness:
            readiness.stop.set()
        if server:
            server.stop()
        if args.keep:
            print(f"kept: {pair.dir} {db.dir if db else ''}")
        else:
            pair.down()
            if db:
                db.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--writers", type=int, default=6, help="writer threads (default 6)")
    p.add_argument("--load-before", type=float, default=10, help="seconds of load before the kill (default 10)")
    p.add_argument("--load-after", type=float, default=10,
                   help="seconds of load after /readyz is 200 again (default 10)")
    p.add_argument("--outage-limit", type=float, default=180, help="seconds the failover may take (default 180)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--keep", action="store_true", help="leave the pair running and its directories in place")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("failover.py runs PostgreSQL as the postgres user and installs packages: run it as root")
    summary = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    sys.exit(1 if summary.get("failures") else 0)


if __name__ == "__main__":
    main()
