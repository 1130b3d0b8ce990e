#!/usr/bin/env python3
"""Crash trials: `rapport serve` is killed with SIGKILL at a random moment of mixed writes, restarted, and checked.

For each database (SQLite, PostgreSQL), on a fresh database of its own:

  1. Writers (threads, one keep-alive connection each) create clients, update them (PUT with If-Match), book
     appointments (single sessions at random hours, plus bursts of simultaneous bookings of one slot), and write
     notes, all with a personal API token and an Idempotency-Key on every create. The id of every create
     answered 2xx, and the version of every update answered 200, is recorded: that write was acknowledged.
     Requests that had no answer when the server died are kept with their key and body.
  2. At a random moment (uniform in --kill-after) the server gets SIGKILL. It is restarted at once, and the time
     from the start of the process to GET /readyz answering 200 is measured.
  3. Every unanswered request is sent again with the same key and body (as a client that did not hear back
     would); each must now be answered (201, a replay of the first answer, or 409 for a booking whose slot was
     taken).
  4. Checks, every trial: every acknowledged id of every trial so far is in the database; the rows are exactly
     the acknowledged ones (no duplicate from a retried request, no row nobody was told about), each with one
     creation entry in the audit log; every client's stored version is at least its last acknowledged update's
     (and exceeds it by no more than its unanswered updates); one clinician never has two overlapping live
     appointments; each burst of simultaneous bookings of one slot got at most one 201; `rapport audit verify`
     says the chain is intact; the API reads a sample of the acknowledged records back (decrypting them).

Any failed check ends the run with exit 1 and says what failed. A summary (per database: trials, acknowledged
writes, unanswered requests found committed or not, time to ready) is printed, and written as JSON with --json.

  RAPPORT_BIN=target/debug/rapport scripts/robustness/crash_trials.py --trials 25 [--databases sqlite,postgres]
"""

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from rapport_proc import Database, Http, Server, api_token, audit_verify, create_account, rapport

KINDS = ("client", "appointment", "note")
TABLES = {"client": "clients", "appointment": "appointments", "note": "notes"}


class Ledger:
    """What the client was told: acknowledged ids per kind, requests still waiting for an answer, and whatever
    went wrong. Shared by the writer threads, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {k: set() for k in KINDS}
        self.unanswered = []  # (kind, path, body, key)
        self.errors = []
        self.bursts = []  # number of 201s per burst of simultaneous bookings of one slot
        self.refused = 0  # bookings answered 409 (slot taken)
        self.never_sent = 0  # unanswered because the server was already gone (connection refused)
        # Client updates (PUT with If-Match): the body each client was created with, the version last
        # acknowledged, and how many updates of it went unanswered (each may or may not have committed).
        self.client_bodies = {}
        self.versions = {}
        self.updates_unanswered = {}
        self.updates = 0

    def ack(self, kind, id_):
        with self.lock:
            if id_ in self.acked[kind]:
                self.errors.append(f"{kind} {id_} acknowledged twice for two different requests")
            self.acked[kind].add(id_)

    def clients(self):
        with self.lock:
            return list(self.acked["client"])


class Load:
    """Mixed writes against one server until `stop` is set or the connection breaks."""

    def __init__(self, base, token, clinician_id, ledger, rng_seed):
        self.base, self.token, self.clinician = base, token, clinician_id
        self.ledger = ledger
        self.stop = threading.Event()
        self.rng = random.Random(rng_seed)
        self.tomorrow = date.today() + timedelta(days=1)

    def slot(self, rng):
        """A random whole hour within the next two years (bookings are accepted up to five years ahead)."""
        day = self.tomorrow + timedelta(days=rng.randrange(0, 700))
        return f"{day.isoformat()}T{rng.randrange(0, 24):02d}:00"

    def body(self, kind, rng):
        if kind == "client":
            n = rng.randrange(10**9)
            return "/api/v1/clients", {
                "legal_name": f"Soak Client {n}", "date_of_birth": f"{rng.randrange(1940, 2005)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}",
                "time_zone": "Europe/Berlin", "presenting_problem": f"Trial text {n}",
            }
        clients = self.ledger.clients()
        if not clients:
            return self.body("client", rng)
        client = rng.choice(clients)
        if kind == "appointment":
            return "/api/v1/appointments", self.booking(client, self.slot(rng))
        return f"/api/v1/clients/{client}/notes", {
            "template": "progress_soap",
            "fields": {"subjective": f"Session text {rng.randrange(10**9)}", "plan": "Continue weekly."},
        }

    def booking(self, client, start):
        return {
            "type_key": "individual", "clinician_id": self.clinician, "client_ids": [client], "start": start,
            "time_zone": "UTC", "outside_working_hours": True,
        }

    def send(self, http, kind, path, body, key):
        """One create; True while the server still answers."""
        entry = (kind, path, body, key)
        try:
            status, answer, _ = http.request("POST", path, body=body, headers={"Idempotency-Key": key})
        except Exception as e:  # noqa: BLE001 - any break of the connection: the request stays unanswered
            with self.ledger.lock:
                self.ledger.unanswered.append(entry)
                if isinstance(e, ConnectionRefusedError):
                    self.ledger.never_sent += 1
            return False
        record(self.ledger, kind, path, status, answer, body)
        return True

    def writer(self, seed):
        rng = random.Random(seed)
        http = Http(self.base, self.token, timeout=60)
        while not self.stop.is_set():
            r = rng.random()
            if r < 0.05 and self.ledger.clients():
                if not self.burst(rng):
                    break
                continue
            if r < 0.15 and self.ledger.clients():
                if not self.update(http, rng):
                    break
                continue
            kind = "client" if r < 0.45 else "appointment" if r < 0.78 else "note"
            path, body = self.body(kind, rng)
            kind = "client" if path == "/api/v1/clients" else kind
            if not self.send(http, kind, path, body, str(uuid.uuid4())):
                break
        http.close()

    def update(self, http, rng):
        """Changes an acknowledged client's phone with the version last acknowledged (If-Match); True while the
        server answers. A 409 (another writer got there first) re-reads the version."""
        client = rng.choice(self.ledger.clients())
        with self.ledger.lock:
            body = dict(self.ledger.client_bodies.get(client) or {})
            version = self.ledger.versions.get(client)
        if not body or version is None:
            return True
        body["phone"] = f"+49 30 {rng.randrange(10**7):07d}"
        try:
            status, answer, _ = http.request(
                "PUT", f"/api/v1/clients/{client}", body=body, headers={"If-Match": f'"{version}"'},
            )
        except Exception:  # noqa: BLE001 - unanswered: it may or may not have committed
            with self.ledger.lock:
                self.ledger.updates_unanswered[client] = self.ledger.updates_unanswered.get(client, 0) + 1
            return False
        if status == 200 and isinstance(answer, dict):
            with self.ledger.lock:
                self.ledger.versions[client] = max(self.ledger.versions.get(client, 0), answer["version"])
                self.ledger.updates += 1
            return True
        if status in (409, 412):
            return self.refresh(http, client)
        with self.ledger.lock:
            self.ledger.errors.append(f"PUT /api/v1/clients/{client} answered {status}: {str(answer)[:300]}")
        return True

    def refresh(self, http, client):
        try:
            status, answer, _ = http.request("GET", f"/api/v1/clients/{client}")
        except Exception:  # noqa: BLE001
            return False
        if status == 200:
            with self.ledger.lock:
                self.ledger.versions[client] = max(self.ledger.versions.get(client, 0), answer["version"])
        return True

    def burst(self, rng, n=4):
        """n simultaneous bookings of one slot of one clinician, each for another client: at most one may win."""
        start = self.slot(rng)
        clients = self.ledger.clients()
        barrier = threading.Barrier(n)
        results = []

        def one(i):
            http = Http(self.base, self.token, timeout=60)
            body = self.booking(rng.choice(clients), start)
            key = str(uuid.uuid4())
            try:
                barrier.wait(5)
            except threading.BrokenBarrierError:
                pass
            try:
                status, answer, _ = http.request(
                    "POST", "/api/v1/appointments", body=body, headers={"Idempotency-Key": key},
                )
            except Exception as e:  # noqa: BLE001
                with self.ledger.lock:
                    self.ledger.unanswered.append(("appointment", "/api/v1/appointments", body, key))
                    if isinstance(e, ConnectionRefusedError):
                        self.ledger.never_sent += 1
                results.append(None)
                return
            finally:
                http.close()
            record(self.ledger, "appointment", "/api/v1/appointments", status, answer)
            results.append(status)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if None not in results:
            with self.ledger.lock:
                self.ledger.bursts.append(results.count(201))
        return None not in results


def record(ledger, kind, path, status, answer, body=None):
    """Files one answer: an acknowledged id, a refused booking, or an error."""
    if status in (200, 201) and isinstance(answer, dict):
        id_ = answer.get("id") or (answer.get("appointments") or [{}])[0].get("id")
        if kind == "appointment" and len(answer.get("appointments") or []) != 1:
            ledger.errors.append(f"a single booking answered {len(answer.get('appointments') or [])} sessions")
        if id_:
            if kind == "client":
                with ledger.lock:
                    ledger.client_bodies[id_] = body
                    ledger.versions[id_] = max(ledger.versions.get(id_, 0), answer.get("version", 1))
            ledger.ack(kind, id_)
            return
    if kind == "appointment" and status == 409:
        with ledger.lock:
            ledger.refused += 1
        return
    with ledger.lock:
        ledger.errors.append(f"POST {path} answered {status}: {str(answer)[:300]}")


def retry_unanswered(base, token, ledger):
    """Sends every unanswered request again with its key; returns (replayed, fresh) counts."""
    http = Http(base, token, timeout=60)
    replayed = fresh = 0
    pending, ledger.unanswered = ledger.unanswered, []
    for kind, path, body, key in pending:
        status, answer, res = http.request("POST", path, body=body, headers={"Idempotency-Key": key})
        if res.getheader("Idempotent-Replayed") == "true":
            replayed += 1
        else:
            fresh += 1
        record(ledger, kind, path, status, answer, body)
    http.close()
    return replayed, fresh


def stored_ids(db, kind):
    table = TABLES[kind]
    if db.kind == "postgres":
        rows = db.query(f"SELECT id::text FROM {table}")
        return {r[0] for r in rows}
    # SQLite keeps uuids as 16-byte blobs.
    return {str(uuid.UUID(r[0])) for r in db.query(f"SELECT hex(id) FROM {table}")}


OVERLAPS = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.clinician_id = b.clinician_id AND a.id < b.id
 AND a.start_at < b.end_at AND b.start_at < a.end_at
WHERE a.status NOT IN ('cancelled', 'late_cancelled') AND b.status NOT IN ('cancelled', 'late_cancelled')
"""


def check(db, base, token, ledger, trial):
    """The checks after a restart; returns a list of failures (empty when all held)."""
    failures = []
    for kind in KINDS:
        stored = stored_ids(db, kind)
        missing = ledger.acked[kind] - stored
        extra = stored - ledger.acked[kind]
        if missing:
            failures.append(f"{len(missing)} acknowledged {kind}(s) missing, e.g. {sorted(missing)[:3]}")
        if extra:
            failures.append(f"{len(extra)} {kind} row(s) nobody was told about (duplicates?), e.g. {sorted(extra)[:3]}")
        audited = [r[0] for r in db.query(
            f"SELECT resource_id FROM audit_log WHERE action = '{kind}.create' AND outcome = 'ok'")]
        if len(audited) != len(set(audited)) or set(audited) != stored:
            failures.append(f"{kind}: {len(stored)} rows but {len(audited)} creation entries in the audit log "
                            f"({len(stored - set(audited))} rows without one)")
    # An acknowledged update is kept: the stored version is at least the acknowledged one, and at most one more
    # for each update of that client that went unanswered.
    stored_versions = {str(uuid.UUID(r[0])): int(r[1]) for r in db.query(
        "SELECT id::text, version FROM clients" if db.kind == "postgres" else "SELECT hex(id), version FROM clients")}
    for client, acked in ledger.versions.items():
        stored = stored_versions.get(client, 0)
        if not acked <= stored <= acked + ledger.updates_unanswered.get(client, 0):
            failures.append(f"client {client}: version {stored} stored, {acked} acknowledged, "
                            f"{ledger.updates_unanswered.get(client, 0)} update(s) unanswered")
    overlaps = int(db.query(OVERLAPS)[0][0])
    if overlaps:
        failures.append(f"{overlaps} pair(s) of overlapping appointments of one clinician")
    if any(n > 1 for n in ledger.bursts):
        failures.append(f"a burst of simultaneous bookings of one slot had more than one 201: {ledger.bursts}")
    intact, verdict = audit_verify(db)
    if not intact:
        failures.append(f"audit verify: {verdict}")
    http = Http(base, token)
    rng = random.Random(trial)
    for kind, path in (("client", "/api/v1/clients/{}"), ("appointment", "/api/v1/appointments/{}"),
                       ("note", "/api/v1/notes/{}")):
        for id_ in rng.sample(sorted(ledger.acked[kind]), min(3, len(ledger.acked[kind]))):
            status, answer, _ = http.request("GET", path.format(id_))
            if status != 200:
                failures.append(f"GET {path.format(id_)} answered {status} after the restart: {str(answer)[:200]}")
    http.close()
    return failures, verdict


def run_database(kind, args, seed):
    rng = random.Random(seed)
    db = Database(kind)
    server = None
    summary = {"database": kind, "trials": 0, "ready_s": [], "unanswered_committed": 0, "unanswered_not": 0}
    try:
        rapport(db, "migrate")
        password = create_account(db, "soak.clinician@example.org", "Soak Clinician", ["clinician"], "UTC")
        server = Server(db).start()
        server.wait_ready()
        token = api_token(server.base, "soak.clinician@example.org", password)
        status, me, _ = Http(server.base, token).request("GET", "/api/v1/me")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/me answered {status}")
        ledger = Ledger()
        for trial in range(1, args.trials + 1):
            load = Load(server.base, token, me["id"], ledger, rng.random())
            threads = [threading.Thread(target=load.writer, args=(rng.random(),)) for _ in range(args.writers)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(*args.kill_after))
            server.kill9()
            load.stop.set()
            for t in threads:
                t.join(60)
            server = Server(db).start()
            ready = server.wait_ready()
            summary["ready_s"].append(ready)
            replayed, fresh = retry_unanswered(server.base, token, ledger)
            summary["unanswered_committed"] += replayed
            summary["unanswered_not"] += fresh
            failures, verdict = check(db, server.base, token, ledger, trial)
            failures += ledger.errors
            ledger.errors = []
            counts = ", ".join(f"{len(ledger.acked[k])} {k}s" for k in KINDS)
            print(f"[{kind}] trial {trial:2}: killed, ready in {ready:.2f} s; {replayed + fresh} unanswered "
                  f"({replayed} had committed); acknowledged so far {counts}; {verdict}", flush=True)
            summary["trials"] = trial
            if failures:
                print(f"[{kind}] trial {trial} FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
                print(server.log(), file=sys.stderr)
                summary["failures"] = failures
                return summary
        summary.update({k + "s": len(ledger.acked[k]) for k in KINDS})
        summary["acknowledged"] = sum(len(ledger.acked[k]) for k in KINDS)
        summary["refused_bookings"] = ledger.refused
        summary["never_sent"] = ledger.never_sent
        summary["updates"] = ledger.updates
        summary["updates_unanswered"] = sum(ledger.updates_unanswered.values())
        summary["bursts"] = len(ledger.bursts)
        summary["bursts_with_a_winner"] = sum(1 for n in ledger.bursts if n == 1)
        summary["audit"] = verdict
        return summary
    finally:
        if server:
            server.stop()
        if not args.keep:
            db.close()
        else:
            print(f"[{kind}] kept: {db.dir} {db.url or ''}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=25, help="kills per database (default 25)")
    p.add_argument("--databases", default="sqlite,postgres")
    p.add_argument("--writers", type=int, default=6, help="writer threads (default 6)")
    p.add_argument("--kill-after", type=float, nargs=2, default=(0.5, 4.0), metavar=("MIN", "MAX"),
                   help="seconds of load before the kill, uniform (default 0.5 4)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--keep", action="store_true", help="keep the databases for inspection")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"crash trials: {args.trials} per database, {args.writers} writers, seed {seed}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", flush=True)
    started = time.monotonic()
    results = [run_database(k, args, seed) for k in args.databases.split(",")]
    ok = all("failures" not in r for r in results)
    for r in results:
        ready = r["ready_s"] or [0]
        r["ready_median_s"] = round(statistics.median(ready), 3)
        r["ready_max_s"] = round(max(ready), 3)
        r["ready_s"] = [round(x, 3) for x in ready]
        if "failures" in r:
            print(f"{r['database']}: FAILED at trial {r['trials']}")
            continue
        unanswered = r["unanswered_committed"] + r["unanswered_not"]
        print(f"{r['database']}: {r['trials']} kill -9 trials, {r['acknowledged']} acknowledged writes ({r['clients']} "
              f"clients, {r['appointments']} appointments, {r['notes']} notes): every one present, no other row, each "
              f"with its audit entry. {unanswered} requests unanswered at a kill ({unanswered - r['never_sent']} in "
              f"flight, {r['never_sent']} refused after it); sent again with their Idempotency-Key, "
              f"{r['unanswered_committed']} replayed the committed answer and {r['unanswered_not']} ran anew. "
              f"{r['refused_bookings']} bookings refused as taken, {r['bursts']} bursts of 4 simultaneous bookings "
              f"of one slot ({r['bursts_with_a_winner']} with one winner, none with two), no overlapping "
              f"appointments. {r['updates']} acknowledged client updates (If-Match), none lost (no stored version below "
              f"the acknowledged one); {r['updates_unanswered']} unanswered at a kill. Time to ready: median {r['ready_median_s']} s, max {r['ready_max_s']} s. {r['audit']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seed": seed, "seconds": round(time.monotonic() - started), "results": results}, f, indent=2)
    print(f"crash trials: {'OK' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
