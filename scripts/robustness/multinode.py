#!/usr/bin/env python3
"""Several servers, one PostgreSQL: three `rapport serve` processes on one fresh PostgreSQL database, behind
Debian's haproxy (round-robin: every request of a keep-alive connection goes to the next node), each with the
background worker running every second and sending to one real SMTP server (PyPI aiosmtpd writing a Maildir).

What it checks, in order (any failure ends the run with exit 1 and says what failed):

  0. The nodes start together on the new, empty database (as servers restarted at once after an upgrade do):
     each waits for the start lock while another migrates, and all become ready.
  1. Sessions are the database's, not a node's: a staff sign-in (password, then TOTP enrolment) made on node 1
     is signed in on nodes 2 and 3; its CSRF token, read on node 2, lets node 3 make an API token, which works on
     every node; signing out on node 2 ends the session on all three. haproxy's answers name the node that
     served them (X-Rapport-Node), and consecutive requests on one connection are seen on every node.
  2. Parallel bookings of one slot: in each round, 30 bookings of one clinician's slot for 30 different clients
     are released together (a barrier), 12 through haproxy and 6 straight to each node: exactly one 201, the
     others 409, no 5xx.
  3. Everything the workers send goes out exactly once across the nodes: appointment reminders (the practice's
     lead time is set to 336 hours, so the reminders of bookings in the next two weeks are due at once), the
     questionnaire links of scheduled assignments (their next date is moved back a week in the database while
     the workers run, as if the week had passed), and alerts raised by a PHQ-9 answer with its item 9 above 0:
     the e-mails at the raise (care team, whoever is on call) and the escalation once the alert is overdue
     (its raise is moved back two hours in the database). All three workers see the same due rows at the same
     moment. The SMTP server must receive each outbox row's Message-ID exactly once and nothing else; each
     assignment sends exactly one scheduled link, each alert is escalated exactly once (one audit entry, one
     e-mail per person to tell).
  4. A node killed mid-request loses nothing it acknowledged: writers book sessions (more than two weeks ahead,
     so no reminder falls due) and create clients through haproxy, each with an Idempotency-Key; node 3 gets
     SIGKILL during the load (and, in a second round once it is back, node 1). Requests without an answer (or
     with haproxy's 502/503/504) are sent again with their key; then every 201 is a row in the database, every
     row was acknowledged (no duplicate), each has its one creation entry in the audit log, and no clinician has
     two overlapping sessions. The killed node restarts, serves again and is back in haproxy's rotation.
  5. `rapport audit verify` says the chain is intact, and every acknowledged create of the whole run is
     counted against the stored rows.

Needs: PostgreSQL on 127.0.0.1:5432 with trust for user postgres (RAPPORT_TEST_PG_URL; scripts/test sets it
up), the built binary in RAPPORT_BIN, Debian's haproxy and PyPI's aiosmtpd: each of the last two is installed
by name when missing (`apt-get install -y haproxy`, `pip install aiosmtpd`). The database is rapport_mn_<hex>,
dropped at the end (scripts/test drops any an interrupted run left).

  RAPPORT_BIN=target/debug/rapport scripts/robustness/multinode.py [--nodes 3] [--json out.json] [--keep]
"""

import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from rapport_proc import (
    CHILD_ENV, Database, Haproxy, Http, Server, SmtpSink, api_token, audit_verify, binary, create_account,
    csrf_token, sign_in,
)

RACE_ROUNDS = 5
RACERS_VIA_PROXY = 12
RACERS_PER_NODE = 6
BULK_BOOKINGS = 48
ASSIGNMENTS = 12
ALERTS = 6


class Failed(Exception):
    """A check that did not hold."""


def ensure_tools():
    """Debian's haproxy and PyPI's aiosmtpd, installed by name when missing."""
    if not shutil.which("haproxy"):
        print("installing Debian's haproxy", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "haproxy"], check=True, env=env, stdout=subprocess.DEVNULL)
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        print("installing aiosmtpd from PyPI", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "aiosmtpd>=1.4"], check=True)


class Ledger:
    """What clients were told: acknowledged ids per table, and anything that went wrong."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = collections.defaultdict(set)
        self.errors = []

    def ack(self, table, id_):
        with self.lock:
            self.acked[table].add(id_)

    def error(self, text):
        with self.lock:
            self.errors.append(text)


def check(cond, text):
    if not cond:
        raise Failed(text)


def at_hour(hours_from_now):
    """`YYYY-MM-DDTHH:00` in UTC, the whole hour `hours_from_now` after the next one."""
    t = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1 + hours_from_now)
    return t.strftime("%Y-%m-%dT%H:%M")


def booking(clinician, client, start):
    return {"type_key": "individual", "clinician_id": clinician, "client_ids": [client], "start": start,
            "time_zone": "UTC", "outside_working_hours": True}


def appointment_id(answer):
    return ((answer or {}).get("appointments") or [{}])[0].get("id") if isinstance(answer, dict) else None


def parallel(n, fn):
    """Runs fn(i) for i in 0..n in threads; returns their results in order."""
    results = [None] * n

    def run(i):
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ---- 1. sessions across nodes ---------------------------------------------------------------------------------

def check_round_robin(proxy, nodes):
    http = Http(proxy.base)
    seen = []
    for _ in range(2 * len(nodes)):
        status, _, res = http.request("GET", "/healthz")
        check(status == 200, f"GET /healthz through haproxy answered {status}")
        seen.append(res.getheader("X-Rapport-Node"))
    http.close()
    check(set(seen) == {n.name for n in nodes},
          f"consecutive requests on one connection reached {seen}, not every node")
    print(f"  round-robin: one keep-alive connection's requests went to {' '.join(seen)}", flush=True)


def on(node, web):
    """A connection to `node` carrying `web`'s cookies (the same browser, another node)."""
    other = Http(node.base)
    other.cookies = dict(web.cookies)
    return other


def check_sessions(nodes, email, password):
    a, b, c = nodes[0], nodes[1], nodes[2 % len(nodes)]
    web = sign_in(a.base, email, password)
    for n in nodes[1:]:
        status, _, res = on(n, web).request("GET", "/account", headers={"Accept": "text/html"})
        check(status == 200, f"the session made on {a.name} answered {status} on {n.name} "
                             f"(Location: {res.getheader('Location')})")
    on_b = on(b, web)
    csrf = csrf_token(on_b)
    status, body, _ = on(c, web).request(
        "POST", "/api/v1/tokens", body={"name": "made on another node", "expires_in_days": 1},
        headers={"X-CSRF-Token": csrf, "Origin": c.base})
    check(status == 201, f"POST /api/v1/tokens on {c.name} with {a.name}'s session and {b.name}'s CSRF token "
                         f"answered {status}: {body}")
    token = body["token"]
    ids = set()
    for n in nodes:
        status, me, _ = Http(n.base, token).request("GET", "/api/v1/me")
        check(status == 200 and "clinician" in me.get("roles", []),
              f"the API token made on {c.name} answered {status} on {n.name}: {me}")
        ids.add(me["id"])
    check(len(ids) == 1, f"one token, several callers: {ids}")
    status, _, res = on_b.request("POST", "/logout", form={"_csrf": csrf}, headers={"Origin": b.base})
    check(status == 303, f"sign-out on {b.name} answered {status}")
    for n in nodes:
        status, _, res = on(n, web).request("GET", "/account", headers={"Accept": "text/html"})
        check(status != 200, f"after signing out on {b.name}, the session still works on {n.name}")
    print(f"  sessions: signed in on {a.name}, used on every node, a token made on {c.name} works on every "
          f"node, signed out on {b.name} and gone on all", flush=True)
    return token


# ---- 2. parallel bookings of one slot -------------------------------------------------------------------------

def race(proxy, nodes, token, clinician, clients, start, ledger):
    targets = [proxy.base] * RACERS_VIA_PROXY + [n.base for n in nodes for _ in range(RACERS_PER_NODE)]
    names = {n.base: n.name for n in nodes}
    barrier = threading.Barrier(len(targets))

    def one(i):
        http = Http(targets[i], token, timeout=60)
        body = booking(clinician, clients[i % len(clients)], start)
        try:
            barrier.wait(10)
        except threading.BrokenBarrierError:
            pass
        try:
            status, answer, res = http.request("POST", "/api/v1/appointments", body=body,
                                               headers={"Idempotency-Key": str(uuid.uuid4())})
        finally:
            http.close()
        return status, answer, res.getheader("X-Rapport-Node") or names[targets[i]]

    results = parallel(len(targets), one)
    statuses = collections.Counter(r[0] for r in results)
    check(statuses[201] == 1 and statuses[409] == len(targets) - 1,
          f"{len(targets)} bookings of {start}: {dict(statuses)}, expected one 201 and {len(targets) - 1} 409s; "
          f"e.g. {[str(r[1])[:200] for r in results if r[0] not in (201, 409)][:2]}")
    winner = next(r for r in results if r[0] == 201)
    ledger.ack("appointments", appointment_id(winner[1]))
    return winner[2]


# ---- 3. what the workers send ---------------------------------------------------------------------------------

def post_all(proxy, token, requests, ledger, table=None, threads=6):
    """POSTs each (path, body) through haproxy on `threads` connections; returns the answers in order."""
    answers = [None] * len(requests)
    lock = threading.Lock()
    queue = list(enumerate(requests))

    def worker(_):
        http = Http(proxy.base, token, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                i, (path, body) = queue.pop()
            status, answer, _ = http.request("POST", path, body=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            if status not in (200, 201, 204):
                ledger.error(f"POST {path} answered {status}: {str(answer)[:300]}")
            elif table and isinstance(answer, dict):
                ledger.ack(table, answer.get("id") or appointment_id(answer))
            answers[i] = answer
        http.close()

    parallel(threads, worker)
    return answers


def outbox_rows(db):
    rows = db.query("SELECT id::text, kind, recipient, coalesce(message_id, ''), sent_at IS NOT NULL, "
                    "cancelled_at IS NOT NULL, attempts, coalesce(last_error, '') FROM outbox")
    return [dict(id=r[0], kind=r[1], recipient=r[2], message_id=r[3], sent=r[4] == "t", cancelled=r[5] == "t",
                 attempts=int(r[6]), error=r[7]) for r in rows]


def wait_until(what, cond, timeout=60):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if cond():
            return time.monotonic() - started
        time.sleep(0.25)
    raise Failed(f"{what}: not within {timeout} s")


def check_outbox(db, sink, alerts, assignments):
    def settled():
        rows = outbox_rows(db)
        escalated = int(db.query("SELECT count(*) FROM measure_alerts WHERE escalated_at IS NOT NULL")[0][0])
        return escalated == alerts and all(r["sent"] or r["cancelled"] for r in rows) \
            and sum(r["kind"] == "measure_link" for r in rows) == 2 * assignments
    took = wait_until("every outbox message sent, every alert escalated, every scheduled link queued", settled)
    # A few more worker ticks on every node, for a second copy to show itself if one were coming.
    time.sleep(3)
    rows = outbox_rows(db)
    failed = [r for r in rows if r["attempts"] or r["error"]]
    check(not failed, f"{len(failed)} message(s) needed a second attempt, e.g. {failed[:2]}")
    messages = sink.messages()
    received = collections.Counter(m for m, _ in messages)
    senders = collections.Counter(sender.split("<")[-1].split("@")[0] for _, sender in messages)
    twice = {m: n for m, n in received.items() if n > 1}
    check(not twice, f"{len(twice)} message(s) reached the SMTP server more than once: {list(twice.items())[:3]}")
    sent = {r["message_id"] for r in rows if r["sent"]}
    check(len(sent) == sum(r["sent"] for r in rows), "two sent outbox rows share a Message-ID")
    check(set(received) == sent,
          f"the SMTP server got {len(received)} messages, the outbox sent {len(sent)}: "
          f"{len(sent - set(received))} never arrived, {len(set(received) - sent)} nobody sent")
    by_kind = collections.Counter(r["kind"] for r in rows if r["sent"])
    escalations = db.query("SELECT resource_id, count(*) FROM audit_log WHERE action = 'measure.alert.escalate' "
                           "GROUP BY resource_id")
    check(len(escalations) == alerts and all(int(n) == 1 for _, n in escalations),
          f"{alerts} alerts, escalation audit entries per alert: {escalations}")
    # Two links per assignment: the first, sent with the assignment, and the scheduled one a worker sent.
    links = db.query("SELECT resource_id, count(*) FROM audit_log WHERE action = 'measure.link.send' "
                     "GROUP BY resource_id")
    check(len(links) == assignments and all(int(n) == 2 for _, n in links),
          f"{assignments} assignments, link audit entries per assignment (expected 2): {links}")
    per_assignment = db.query("SELECT assignment_id, count(*) FROM measure_links GROUP BY assignment_id")
    check(len(per_assignment) == assignments and all(int(n) == 2 for _, n in per_assignment),
          f"{assignments} assignments, links per assignment (expected 2): {per_assignment}")
    print(f"  outbox: {len(received)} messages, each received once by the SMTP server "
          f"({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))}), settled {took:.1f} s after the last "
          f"was made due; {alerts} alerts escalated once each, {assignments} scheduled links sent once each; "
          f"sent by {', '.join(f'{n} {k}' for k, n in sorted(senders.items()))}", flush=True)
    return {"kinds": dict(by_kind), "senders": dict(senders)}


# ---- 4. a node killed mid-request -----------------------------------------------------------------------------

class Load:
    """Bookings and client creates through haproxy, each with an Idempotency-Key, until stopped."""

    def __init__(self, proxy, token, clinician, clients, ledger, seed):
        self.proxy, self.token, self.clinician, self.clients, self.ledger = proxy, token, clinician, clients, ledger
        self.stop = threading.Event()
        self.rng = random.Random(seed)
        self.unanswered = []  # (table, path, body, key)
        self.gateway_errors = 0
        self.refused = 0
        self.lock = threading.Lock()

    def request(self, rng):
        if rng.random() < 0.3:
            n = rng.randrange(10**9)
            return "clients", "/api/v1/clients", {
                "legal_name": f"Multinode Client {n}", "date_of_birth": "1980-05-17", "time_zone": "UTC"}
        # Three weeks to two years ahead: reminders (336 hours before) are not due yet.
        start = at_hour(24 * rng.randrange(21, 700) + rng.randrange(24))
        return "appointments", "/api/v1/appointments", booking(self.clinician, rng.choice(self.clients), start)

    def send(self, http, table, path, body, key):
        try:
            status, answer, _ = http.request("POST", path, body=body, headers={"Idempotency-Key": key})
        except Exception:  # noqa: BLE001 - any break of the connection: unanswered
            status, answer = None, None
        if status is None or status in (502, 503, 504):
            with self.lock:
                self.unanswered.append((table, path, body, key))
                if status:
                    self.gateway_errors += 1
            return
        self.file(table, path, status, answer)

    def file(self, table, path, status, answer):
        if status == 201 and isinstance(answer, dict):
            self.ledger.ack(table, answer.get("id") or appointment_id(answer))
        elif table == "appointments" and status == 409:
            with self.lock:
                self.refused += 1
        else:
            self.ledger.error(f"POST {path} answered {status}: {str(answer)[:300]}")

    def writer(self, seed):
        rng = random.Random(seed)
        http = Http(self.proxy.base, self.token, timeout=60)
        while not self.stop.is_set():
            table, path, body = self.request(rng)
            self.send(http, table, path, body, str(uuid.uuid4()))
        http.close()

    def retry(self):
        """Sends every unanswered request again with its key, through haproxy; returns how many were replays."""
        http = Http(self.proxy.base, self.token, timeout=60)
        replayed = 0
        for table, path, body, key in self.unanswered:
            status, answer, res = http.request("POST", path, body=body, headers={"Idempotency-Key": key})
            replayed += res.getheader("Idempotent-Replayed") == "true"
            self.file(table, path, status, answer)
        http.close()
        return replayed


def kill_during_load(proxy, nodes, victim, token, clinician, clients, ledger, seed, writers=8):
    load = Load(proxy, token, clinician, clients, ledger, seed)
    before = {t: len(ledger.acked[t]) for t in ("clients", "appointments")}
    threads = [threading.Thread(target=load.writer, args=(seed + i,)) for i in range(writers)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    victim.kill9()
    time.sleep(2.0)
    load.stop.set()
    for t in threads:
        t.join(60)
    replayed = load.retry()
    made = {t: len(ledger.acked[t]) - before[t] for t in before}
    print(f"  {victim.name} got SIGKILL 1.5 s into the load of {writers} writers through haproxy: "
          f"{made['appointments']} bookings and {made['clients']} clients acknowledged, {load.refused} bookings "
          f"refused as taken; {len(load.unanswered)} requests had no answer ({load.gateway_errors} of them a 50x "
          f"from haproxy), sent again with their key: {replayed} replayed a committed answer, the rest ran anew",
          flush=True)
    return dict(victim=victim.name, acknowledged=made, refused=load.refused, unanswered=len(load.unanswered),
                replayed=replayed, gateway_errors=load.gateway_errors)


# ---- 5. acknowledged against stored, and the chain ------------------------------------------------------------

OVERLAPS = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.clinician_id = b.clinician_id AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at
WHERE a.status NOT IN ('cancelled', 'late_cancelled') AND b.status NOT IN ('cancelled', 'late_cancelled')
"""

CREATE_ACTION = {"clients": "client.create", "appointments": "appointment.create"}


def check_stored(db, ledger):
    counts = {}
    for table in ("clients", "appointments", "measure_assignments", "measure_responses"):
        stored = {r[0] for r in db.query(f"SELECT id::text FROM {table}")}
        acked = ledger.acked[table]
        missing, extra = acked - stored, stored - acked
        check(not missing, f"{len(missing)} acknowledged {table} row(s) missing, e.g. {sorted(missing)[:3]}")
        check(not extra, f"{len(extra)} {table} row(s) nobody was told about, e.g. {sorted(extra)[:3]}")
        if table in CREATE_ACTION:
            audited = [r[0] for r in db.query(
                f"SELECT resource_id FROM audit_log WHERE action = '{CREATE_ACTION[table]}' AND outcome = 'ok'")]
            check(len(audited) == len(set(audited)) and set(audited) == stored,
                  f"{table}: {len(stored)} rows, {len(audited)} creation entries in the audit log")
        counts[table] = len(stored)
    overlaps = int(db.query(OVERLAPS)[0][0])
    check(overlaps == 0, f"{overlaps} pair(s) of overlapping sessions of one clinician")
    return counts


# ---- the run --------------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nodes", type=int, default=3, help="rapport serve processes (2 or more; default 3)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", help="write a summary here")
    p.add_argument("--keep", action="store_true", help="keep the database and logs for inspection")
    args = p.parse_args()
    if args.nodes < 2:
        p.error("--nodes must be at least 2")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    started = time.monotonic()
    ensure_tools()
    print(f"multinode: {args.nodes} nodes on one PostgreSQL behind haproxy, seed {seed}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", flush=True)
    db = Database("postgres", tag="mn")
    sink = proxy = None
    nodes = []
    summary = {"nodes": args.nodes, "seed": seed}
    ok = False
    try:
        # The keyring first (one data directory, one keyring for every node, as a deployment copies its keyring
        # to every server): `rapport migrate` on the directory's own SQLite database makes it and leaves the
        # PostgreSQL database empty, so that the nodes below start together on a database that needs migrating.
        subprocess.run([binary(), "--data-dir", db.dir, "migrate"], check=True, env=CHILD_ENV,
                       stdout=subprocess.DEVNULL)
        sink = SmtpSink(db.dir)
        # Each node sends as itself, so the Maildir tells which node sent each message.
        nodes = [Server(db, name=f"node{i + 1}", extra=[
            "--smtp-url", f"smtp://127.0.0.1:{sink.port}", "--worker-interval-seconds", "1",
            "--mail-from", f"Rapport <node{i + 1}@multinode.test>",
            "--trusted-proxy", "127.0.0.1/32"]) for i in range(args.nodes)]
        print(f"0. {len(nodes)} servers started together on a new database", flush=True)
        for n in nodes:
            n.start()
        ready = [n.wait_ready() for n in nodes]
        print(f"  all ready within {max(ready):.1f} s (the start lock lets one migrate at a time)", flush=True)
        pw = {role: create_account(db, f"{role}@multinode.test", f"Multinode {role.title()}", [role], "UTC")
              for role in ("admin", "clinician", "supervisor")}
        pw["teammate"] = create_account(db, "teammate@multinode.test", "Multinode Teammate", ["clinician"], "UTC")
        proxy = Haproxy(db.dir, nodes)
        ledger = Ledger()

        print("1. sessions and tokens across nodes", flush=True)
        check_round_robin(proxy, nodes)
        # The clinician's token outlives the session it was made with; the admin's is made through haproxy, whose
        # round-robin spreads the sign-in's requests over the nodes.
        clin = check_sessions(nodes, "clinician@multinode.test", pw["clinician"])
        admin = api_token(proxy.base, "admin@multinode.test", pw["admin"])
        status, me, _ = Http(proxy.base, clin).request("GET", "/api/v1/me")
        check(status == 200, f"GET /api/v1/me answered {status}")
        clinician = me["id"]
        status, users, _ = Http(proxy.base, admin).request("GET", "/api/v1/users")
        check(status == 200, f"GET /api/v1/users answered {status}")
        ids = {u["email"]: u["id"] for u in users}

        # The practice: reminders two weeks ahead, the supervisor on call now, 36 clients with e-mail addresses.
        a = Http(proxy.base, admin)
        status, body, _ = a.request("PUT", "/api/v1/settings/reminders", body={"hours": 336})
        check(status == 204, f"PUT /api/v1/settings/reminders answered {status}: {body}")
        now = datetime.now(timezone.utc)
        status, body, _ = a.request("POST", "/api/v1/on-call-shifts", body={
            "user_id": ids["supervisor@multinode.test"], "time_zone": "UTC",
            "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")})
        check(status == 201, f"POST /api/v1/on-call-shifts answered {status}: {body}")
        clients = [c["id"] for c in post_all(proxy, clin, [
            ("/api/v1/clients", {"legal_name": f"Multinode Client {i}", "date_of_birth": "1985-03-14",
                                 "time_zone": "UTC", "email": f"client{i}@client.test"})
            for i in range(36)], ledger, "clients")]
        check(not ledger.errors, "; ".join(ledger.errors[:3]))

        print("2. parallel bookings of one slot", flush=True)
        winners = [race(proxy, nodes, clin, clinician, clients, at_hour(h), ledger) for h in range(RACE_ROUNDS)]
        racers = RACERS_VIA_PROXY + RACERS_PER_NODE * len(nodes)
        print(f"  {RACE_ROUNDS} rounds of {racers} simultaneous bookings of one slot ({RACERS_VIA_PROXY} through "
              f"haproxy, {RACERS_PER_NODE} straight to each node): one 201 each, the rest 409; "
              f"won on {' '.join(winners)}", flush=True)
        summary["races"] = {"rounds": RACE_ROUNDS, "bookings_each": racers}

        print("3. what the workers send, across nodes", flush=True)
        post_all(proxy, clin, [
            ("/api/v1/appointments", booking(clinician, clients[i % len(clients)], at_hour(RACE_ROUNDS + i)))
            for i in range(BULK_BOOKINGS)], ledger, "appointments")
        post_all(proxy, clin, [
            (f"/api/v1/clients/{c}/measure-assignments",
             {"instrument": "phq9", "schedule": "every_days", "every_days": 7})
            for c in clients[:ASSIGNMENTS]], ledger, "measure_assignments")
        alerted = clients[ASSIGNMENTS:ASSIGNMENTS + ALERTS]
        post_all(proxy, admin, [(f"/api/v1/clients/{c}/care-team", {"user_id": ids["teammate@multinode.test"]})
                                for c in alerted], ledger)
        answers = post_all(proxy, clin, [
            (f"/api/v1/clients/{c}/measure-responses",
             {"instrument": "phq9", "answers": {str(i): (2 if i == 9 else 1) for i in range(1, 10)}})
            for c in alerted], ledger, "measure_responses")
        check(not ledger.errors, "; ".join(ledger.errors[:3]))
        check(all(r and r.get("alert_id") for r in answers), f"a PHQ-9 with item 9 at 2 raised no alert: {answers}")
        # As if a week and two hours had passed, while every node's worker runs: the scheduled links fall due,
        # and the alerts are overdue for escalation.
        db.query("UPDATE measure_assignments SET next_due_on = next_due_on - 7 WHERE next_due_on IS NOT NULL")
        db.query("UPDATE measure_alerts SET raised_at = raised_at - interval '2 hours'")
        summary["sent"] = check_outbox(db, sink, ALERTS, ASSIGNMENTS)

        print("4. a node killed mid-request, twice", flush=True)
        summary["kills"] = []
        for i, victim in enumerate((nodes[-1], nodes[0])):
            summary["kills"].append(
                kill_during_load(proxy, nodes, victim, clin, clinician, clients, ledger, seed + 100 * i))
            check(not ledger.errors, "errors under load: " + "; ".join(ledger.errors[:5]))
            victim.start()
            took = victim.wait_ready()
            status, _, _ = Http(victim.base, clin).request("GET", f"/api/v1/clients/{clients[0]}")
            check(status == 200, f"{victim.name} after its restart answered {status}")
            # Back in haproxy's rotation (two good health checks) before the next round.
            wait_until(f"{victim.name} back behind haproxy", lambda: victim.name in {
                Http(proxy.base).request("GET", "/healthz")[2].getheader("X-Rapport-Node")
                for _ in range(2 * len(nodes))}, timeout=10)
            print(f"  {victim.name} restarted, ready in {took:.1f} s and back in haproxy's rotation", flush=True)

        print("5. acknowledged writes against stored rows, and the audit chain", flush=True)
        summary["stored"] = check_stored(db, ledger)
        intact, verdict = audit_verify(db)
        check(intact, f"rapport audit verify: {verdict}")
        summary["audit"] = verdict
        print(f"  every acknowledged create stored, no other row, each with its audit entry "
              f"({', '.join(f'{n} {t}' for t, n in summary['stored'].items())}); {verdict}", flush=True)
        for n in nodes:
            check(n.proc.poll() is None, f"{n.name} died:\n{n.log()}")
        ok = True
    except (Failed, RuntimeError, OSError) as e:
        print(f"multinode: FAILED: {e}", file=sys.stderr)
        for n in nodes:
            print(f"--- {n.name} log (tail) ---\n{n.log(3000)}", file=sys.stderr)
    finally:
        if proxy:
            proxy.stop()
        for n in nodes:
            n.stop()
        if sink:
            sink.stop()
        if args.keep:
            print(f"kept: {db.dir} {db.url}")
        else:
            db.close()
    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["ok"] = ok
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    print(f"multinode: {'OK' if ok else 'FAILED'} in {summary['seconds']:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
