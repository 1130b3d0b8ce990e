#!/usr/bin/env python3
"""Schemathesis against the JSON API: generated requests for every operation of the OpenAPI document, sent with
a personal API token of an account that holds every staff role, to a server on a fresh database with the demo
practice in it. The run fails on any 5xx (`not_a_server_error`), any status the document does not list for the
operation (`status_code_conformance`), and any request the server answered by closing the connection or not at
all (Schemathesis reports those as errors, which fail the run).

Bounded for the test suite: few examples per operation, no stateful phase, a request time-out. After the run
the audit chain must still verify.

  RAPPORT_BIN=target/debug/rapport scripts/robustness/api_schemathesis.py --schemathesis ~/.cache/rapport-schemathesis/bin/schemathesis [--database sqlite|postgres] [--max-examples N]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from rapport_proc import Database, Http, Server, api_token, audit_verify, create_account, rapport

ROLES = ["admin", "clinician", "supervisor", "scheduler", "billing"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--schemathesis", required=True, help="the schemathesis command")
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--max-examples", type=int, default=8, help="per operation and phase (default 8)")
    p.add_argument("--seed", type=int, default=1)
    # One worker: with several, Hypothesis (in threads) now and then trips CPython 3.11's AST recursion-depth
    # check (python/cpython#106905) and Schemathesis reports a runtime error that is not the API's.
    p.add_argument("--workers", default="1")
    p.add_argument("--phases", default="examples,coverage,fuzzing")
    p.add_argument("--checks", default="not_a_server_error,status_code_conformance")
    p.add_argument("--report-dir", default=None, help="keep Schemathesis's JUnit report here")
    args = p.parse_args()
    started = time.monotonic()
    db = Database(args.database, tag="st")
    server = None
    try:
        rapport(db, "demo", "--clients", "12")
        password = create_account(db, "api.fuzz@example.org", "API Fuzz", ROLES, "Europe/Berlin")
        server = Server(db).start()
        server.wait_ready()
        token = api_token(server.base, "api.fuzz@example.org", password)
        status, _, _ = Http(server.base, token).request("GET", "/api/v1/me")
        if status != 200:
            raise RuntimeError(f"the token does not work: GET /api/v1/me answered {status}")
        report_dir = args.report_dir or tempfile.mkdtemp(prefix="rapport-schemathesis-")
        cmd = [
            args.schemathesis, "run", f"{server.base}/api/v1/openapi.json", "--url", server.base,
            "--header", f"Authorization: Bearer {token}",
            "--checks", args.checks,
            "--phases", args.phases, "--max-examples", str(args.max_examples), "--seed", str(args.seed),
            "--workers", args.workers, "--request-timeout", "20", "--no-shrink",
            "--continue-on-failure", "--output-truncate", "true",
            "--suppress-health-check", "all", "--warnings", "off",
            "--report", "junit", "--report-dir", report_dir,
        ]
        print(f"schemathesis on {args.database}: {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer rpt_…' for c in cmd[1:])}",
              flush=True)
        # Schemathesis keeps a cache of failing cases (.schemathesis/) in its working directory: the report's.
        os.makedirs(report_dir, exist_ok=True)
        run = subprocess.run(cmd, timeout=900, cwd=report_dir)
        intact, verdict = audit_verify(db)
        print(f"after the run: {verdict}")
        if server.proc.poll() is not None:
            print(f"the server died during the run:\n{server.log()}", file=sys.stderr)
            return 1
        ok = run.returncode == 0 and intact
        if not ok:
            print(f"--- rapport serve log (tail) ---\n{server.log()}", file=sys.stderr)
        print(f"schemathesis on {args.database}: {'OK' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s "
              f"(JUnit report in {report_dir})")
        return 0 if ok else 1
    finally:
        if server:
            server.stop()
        db.close()


if __name__ == "__main__":
    sys.exit(main())
