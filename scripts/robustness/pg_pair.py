#!/usr/bin/env python3
"""A PostgreSQL pair with a synchronous standby and automatic failover, from Debian's packages: a pg_auto_failover
monitor and two data nodes (`pg_autoctl`, package postgresql-15-auto-failover), each in a directory of its own
under one temporary directory, on free ports, listening on 127.0.0.1 only, run as the `postgres` OS user.

pg_auto_failover's defaults are kept, as an operator gets them: with one standby, `synchronous_standby_names` is
`ANY 1 (standby)` and `synchronous_commit` is `on`, so a COMMIT is answered only once the standby has the WAL on
disk; when the primary stops answering its health checks, the monitor promotes the standby after about 20 s
(`pgautofailover.node_considered_unhealthy_timeout`), and keeps it read-only until the old primary is known to be
down (`primary_demote_timeout`, 30 s). The old primary is not restarted: the pair runs on with one node.

Standard library only. Used by failover.py; by hand:

  python3 scripts/robustness/pg_pair.py up      # builds the pair, prints its URL and directory, leaves it running
  python3 scripts/robustness/pg_pair.py down DIR
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PACKAGE = "postgresql-15-auto-failover"
PG_BIN = "/usr/lib/postgresql/15/bin"
DATABASE = "rapport"


def install():
    """Installs pg_auto_failover from Debian when `pg_autoctl` is missing (root, as in CI)."""
    if shutil.which("pg_autoctl") and os.path.exists(os.path.join(PG_BIN, "pg_ctl")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", PACKAGE]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")


def free_ports(n):
    """n ports that nothing listens on, below Linux's ephemeral range (32768-60999): a port from that range can
    be taken by an outgoing connection between the check and PostgreSQL's bind, and PostgreSQL then quietly
    listens on IPv6 only."""
    ports = []
    while len(ports) < n:
        port = random.randrange(20000, 32000)
        if port in ports:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


class Pair:
    """The monitor and two nodes. `up()` returns once one node is primary and the other a synchronous secondary."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rapport-ha-")
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.monitor_port, *node_ports = free_ports(3)
        self.nodes = {f"node{i + 1}": port for i, port in enumerate(node_ports)}
        self.procs = {}  # name -> Popen of `runuser ... pg_autoctl`, each the leader of its own process group

    # ---- running pg_autoctl as postgres -------------------------------------------------------------------
    def env(self):
        """pg_autoctl keeps its configuration and state under XDG directories: keep them in ours."""
        return ["env", f"HOME={self.dir}", f"XDG_CONFIG_HOME={self.dir}/config", f"XDG_DATA_HOME={self.dir}/share",
                f"XDG_RUNTIME_DIR={self.dir}/run", f"PATH={PG_BIN}:/usr/bin:/bin"]

    def autoctl(self, *args, check=True):
        r = subprocess.run(["runuser", "-u", "postgres", "--", *self.env(), "pg_autoctl", *args],
                           capture_output=True, text=True, timeout=120, cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r.stdout

    def spawn(self, name, *args):
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")
        self.procs[name] = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", *self.env(), "pg_autoctl", *args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=self.dir, start_new_session=True,
        )
        log.close()
        # Each pg_autoctl leads a process group of its own; `down DIR` stops the groups listed here.
        with open(os.path.join(self.dir, "groups"), "a") as f:
            f.write(f"{self.procs[name].pid}\n")

    def pgdata(self, name):
        return os.path.join(self.dir, name)

    @property
    def monitor_url(self):
        return f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"

    # ---- building the pair ----------------------------------------------------------------------------------
    def up(self, timeout=300):
        started = time.monotonic()
        self.autoctl("create", "monitor", "--pgdata", self.pgdata("monitor"), "--pgport", str(self.monitor_port),
                     "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl")
        # The monitor's PostgreSQL would listen on every address; the pair is for this machine only.
        self.autoctl("config", "set", "--pgdata", self.pgdata("monitor"), "postgresql.listen_addresses", "127.0.0.1")
        self.spawn("monitor", "run", "--pgdata", self.pgdata("monitor"))
        self.wait(lambda: self.pg_ready(self.monitor_port), "the monitor to accept connections", started, timeout)
        for i, (name, port) in enumerate(self.nodes.items()):
            self.spawn(name, "create", "postgres", "--pgdata", self.pgdata(name), "--pgport", str(port),
                       "--listen", "127.0.0.1", "--hostname", "127.0.0.1", "--name", name, "--dbname", DATABASE,
                       "--monitor", self.monitor_url, "--auth", "trust", "--no-ssl", "--run")
            if i == 0:
                self.wait(lambda: self.reported(name) in ("single", "wait_primary", "primary"),
                          f"{name} to become the first primary", started, timeout)
        self.wait(self.settled, "a primary and a synchronous secondary", started, timeout, nudge=self.checkpoint)
        return time.monotonic() - started

    def wait(self, done, what, started, timeout, nudge=None):
        while not done():
            for name, proc in self.procs.items():
                if proc.poll() is not None and name not in getattr(self, "killed", ()):
                    raise RuntimeError(f"pg_autoctl ({name}) exited ({proc.returncode}):\n{self.log(name)}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"waited {timeout} s for {what}:\n{self.show_state()}\n{self.log('node2')}")
            if nudge:
                nudge()
            time.sleep(0.5)

    def checkpoint(self):
        """The standby's base backup starts with a checkpoint on the primary, which PostgreSQL spreads over
        minutes when asked politely; an explicit CHECKPOINT finishes it at once."""
        primary = self.primary()
        if primary and self.reported(self.other(primary)) in ("wait_standby", "catchingup", None):
            psql(self.url_of(primary, "postgres"), "CHECKPOINT", check=False)

    def pg_ready(self, port):
        return subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
                              ).returncode == 0

    # ---- what the monitor says ------------------------------------------------------------------------------
    def states(self):
        """name -> (reported state, assigned state), from the monitor; {} when it does not answer."""
        try:
            out = self.autoctl("show", "state", "--pgdata", self.pgdata("monitor"), "--json", check=False)
            return {n["nodename"]: (n["current_group_state"], n["assigned_group_state"])
                    for n in json.loads(out or "[]")}
        except (ValueError, KeyError, subprocess.TimeoutExpired):
            return {}

    def show_state(self):
        return self.autoctl("show", "state", "--pgdata", self.pgdata("monitor"), check=False)

    def reported(self, name):
        return self.states().get(name, (None, None))[0]

    def primary(self):
        """The node the monitor has as primary (in any of its primary states), or None."""
        for name, (reported, goal) in self.states().items():
            if reported == goal and reported in ("single", "wait_primary", "primary"):
                return name
        return None

    def other(self, name):
        return next(n for n in self.nodes if n != name)

    def settled(self):
        s = self.states()
        return sorted(v[0] for v in s.values() if v[0] == v[1]) == ["primary", "secondary"]

    def synchronous(self, name):
        """The primary's (synchronous_commit, synchronous_standby_names)."""
        out = psql(self.url_of(name), "SELECT current_setting('synchronous_commit') || '|' || "
                                      "current_setting('synchronous_standby_names')")
        return tuple(out.strip().split("|", 1))

    def uri(self, user="postgres"):
        """pg_autoctl's multi-host URL for the formation, with a user (it names none)."""
        out = self.autoctl("show", "uri", "--pgdata", self.pgdata("monitor"), "--formation", "default").strip()
        if not out.startswith("postgres://"):
            raise RuntimeError(f"pg_autoctl show uri printed {out!r}")
        return out.replace("postgres://", f"postgres://{user}@", 1)

    def url_of(self, name, database=DATABASE):
        return f"postgres://postgres@127.0.0.1:{self.nodes[name]}/{database}?sslmode=disable"

    # ---- faults and teardown -----------------------------------------------------------------------------
    def kill(self, name):
        """SIGKILL to the node's whole process group (pg_autoctl, its PostgreSQL and every backend), as when its
        machine dies; pg_autoctl is gone too, so nothing restarts it."""
        self.killed = getattr(self, "killed", set()) | {name}
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)
        self.wait(lambda: not self.pg_ready(self.nodes[name]), f"{name} to stop answering", time.monotonic(), 30)

    def down(self):
        """Stops every node (SIGTERM to pg_autoctl, which stops its PostgreSQL; SIGKILL to the group after 30 s)
        and removes the directory."""
        for name, proc in self.procs.items():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        # A PostgreSQL whose pg_autoctl was killed may outlive its group's leader: stop it by its pid file.
        for name in ["monitor", *self.nodes]:
            pid = postmaster_pid(self.pgdata(name))
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name, tail=3000):
        try:
            with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""


def postmaster_pid(pgdata):
    try:
        with open(os.path.join(pgdata, "postmaster.pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def psql(url, sql, check=True):
    r = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"psql failed ({r.returncode}): {sql}\n{r.stderr}")
    return r.stdout


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "up":
        install()
        pair = Pair()
        took = pair.up()
        print(f"up in {took:.1f} s: {pair.uri()}\n{pair.dir}")
        print(pair.show_state())
        return
    if len(sys.argv) == 3 and sys.argv[1] == "down":
        # Stops what `up` left in DIR: each pg_autoctl's process group (which stops its PostgreSQL).
        with open(os.path.join(sys.argv[2], "groups")) as f:
            groups = [int(line) for line in f if line.strip()]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for group in groups:
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    pass
            time.sleep(5)
        shutil.rmtree(sys.argv[2], ignore_errors=True)
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
