"""What the robustness drivers share: a fresh database (SQLite data directory or PostgreSQL database), the
`rapport` command, a `rapport serve` process that can be killed and restarted, haproxy in front of several of
them, an SMTP server that keeps what it receives, a small HTTP client, and a staff account signed in the way a
person does (password, then TOTP enrolment) to make a personal API token.

Standard library only, so the drivers run on any machine that has python3 and the built binary: the checks
must not depend on the packages they are checking around.
"""

import base64
import hashlib
import hmac
import http.client
import json
import mailbox
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

PG_ADMIN_URL = os.environ.get("RAPPORT_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
# The binary reads RAPPORT_* settings (database URL, listen address): keep the caller's out of the children.
CHILD_ENV = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
CHILD_ENV.setdefault("RAPPORT_LOG", "warn")


def binary():
    path = os.environ.get("RAPPORT_BIN")
    if not path or not os.access(path, os.X_OK):
        raise SystemExit("RAPPORT_BIN must name the built rapport binary (scripts/test sets it)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Database:
    """A fresh database for one run: a data directory always (keyring, and the SQLite file), plus a PostgreSQL
    database of its own when `kind` is "postgres". `close()` removes both."""

    def __init__(self, kind, tag="soak", dir=None):
        self.kind = kind
        self.dir = dir or tempfile.mkdtemp(prefix=f"rapport-{tag}-{kind}-")
        self.pg_name = None
        self.url = None
        if kind == "postgres":
            self.pg_name = f"rapport_{tag}_{secrets.token_hex(6)}"
            psql(PG_ADMIN_URL, f"CREATE DATABASE {self.pg_name}")
            self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.pg_name
        elif kind != "sqlite":
            raise ValueError(kind)

    @property
    def sqlite_path(self):
        return os.path.join(self.dir, "rapport.db")

    def args(self):
        """The global options that point `rapport` at this database."""
        a = ["--data-dir", self.dir]
        if self.url:
            a += ["--database-url", self.url]
        return a

    def query(self, sql):
        """Rows of one read-only query, as tuples of text (both databases answer the same SQL here)."""
        if self.kind == "postgres":
            out = psql(self.url, sql)
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        con = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
        try:
            return [tuple("" if v is None else str(v) for v in row) for row in con.execute(sql)]
        finally:
            con.close()

    def close(self):
        """Removes the database; a failure to drop it is reported, not raised (the checks have been made)."""
        if self.pg_name:
            try:
                psql(PG_ADMIN_URL, f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")
            except RuntimeError as e:
                print(f"warning: could not drop {self.pg_name}: {e}", file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)


def psql(url, sql):
    r = subprocess.run(
        ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=120,
    )
    if r.returncode != 0:
        raise RuntimeError(f"psql failed ({r.returncode}): {sql}\n{r.stderr}")
    return r.stdout


def rapport(db, *args, input=None, check=True):
    """Runs one `rapport` command (not `serve`) to completion; returns the completed process."""
    r = subprocess.run(
        [binary(), *db.args(), *args], input=input, capture_output=True, text=True, timeout=300, env=CHILD_ENV,
    )
    if check and r.returncode != 0:
        raise RuntimeError(f"rapport {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def audit_verify(db):
    """`rapport audit verify`: (intact, its one-line verdict)."""
    r = rapport(db, "audit", "verify", check=False)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


class Server:
    """`rapport serve` on a free port, its output collected in a log file in the data directory."""

    def __init__(self, db, extra=(), name="serve"):
        self.db = db
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra = list(extra)
        self.proc = None
        # Several servers may share one data directory (one keyring): each logs to a file of its own.
        self.log_path = os.path.join(db.dir, f"{name}.log")

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary(), *self.db.args(), "serve", "--listen", f"127.0.0.1:{self.port}", *self.extra],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=CHILD_ENV,
        )
        log.close()
        return self

    def wait_ready(self, timeout=60):
        """Seconds from now until GET /readyz answers 200; fails with the server's log if it never does."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rapport serve exited ({self.proc.returncode}) before ready:\n{self.log()}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    c.close()
                    return time.monotonic() - started
                c.close()
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"/readyz did not answer 200 within {timeout} s:\n{self.log()}")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self):
        """SIGTERM (a clean stop), SIGKILL after 15 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log(self, tail=4000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""


def wait_port(port, proc, what, timeout=30):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}) before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


class SmtpSink:
    """aiosmtpd writing every message it accepts into a Maildir."""

    def __init__(self, dir):
        self.dir = os.path.join(dir, "maildir")  # aiosmtpd's Mailbox creates it, so it must not exist yet
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", "-c",
             "aiosmtpd.handlers.Mailbox", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc, "the SMTP sink")

    def messages(self):
        """(Message-ID, sender) of every message received."""
        if not os.path.isdir(self.dir):
            return []
        return [(m["Message-ID"], m["From"]) for m in mailbox.Maildir(self.dir, factory=None, create=False)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Haproxy:
    """haproxy in front of the nodes: round-robin per request, health checks on /healthz every 200 ms (a dead
    node is out after one failed check; not /readyz, whose probe is a write under the writers' turn, 15 a second
    from three nodes), a refused connection redispatched to another node (nothing was sent), and the serving
    node's name on every answer."""

    def __init__(self, dir, servers):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        backends = "\n".join(
            f"    server {s.name} 127.0.0.1:{s.port} check" for s in servers
        )
        self.cfg = os.path.join(dir, "haproxy.cfg")
        with open(self.cfg, "w") as f:
            f.write(f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend rapport
    bind 127.0.0.1:{self.port}
    option forwardfor
    http-response set-header X-Rapport-Node %[srv_name]
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 200ms fall 1 rise 2
{backends}
""")
        with open(os.path.join(dir, "haproxy.log"), "ab") as log:
            self.proc = subprocess.Popen(["haproxy", "-f", self.cfg, "-db"], stdout=subprocess.DEVNULL, stderr=log)
        wait_port(self.port, self.proc, "haproxy")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Http:
    """One keep-alive connection to the server (one per thread). `request` raises OSError (or
    http.client.HTTPException) when the connection breaks: such a request is not acknowledged."""

    def __init__(self, base, token=None, timeout=30):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.token = token
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None, form=None):
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Accept"] = "text/html"
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=h)
            res = self.conn.getresponse()
            raw = res.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for value in res.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if res.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(raw) if raw and "json" in (res.getheader("Content-Type") or "") else raw
        except ValueError:
            parsed = raw
        return res.status, parsed, res

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---- a staff account and its API token ------------------------------------------------------------------

def totp(secret_base32, at=None):
    """RFC 6238: HMAC-SHA-1, 6 digits, 30 s step."""
    key = base64.b32decode(secret_base32.replace(" ", "").upper() + "=" * (-len(secret_base32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def create_account(db, email, name, roles, time_zone=None):
    """`rapport admin create` with a password piped in (so it is not a one-time password); returns it."""
    password = "soak " + secrets.token_urlsafe(18)
    args = ["admin", "create", "--email", email, "--name", name]
    for r in roles:
        args += ["--role", r]
    if time_zone:
        args += ["--time-zone", time_zone]
    rapport(db, *args, input=password + "\n")
    return password


def _csrf(html):
    m = re.search(rb'name="_csrf" value="([^"]+)"', html if isinstance(html, bytes) else b"")
    if not m:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1).decode()


def sign_in(base, email, password):
    """Signs in as a person does (password, then enrolling TOTP); returns the connection holding the session
    cookie."""
    web = Http(base)
    origin = {"Origin": base}
    status, _, res = web.request("POST", "/login", form={"email": email, "password": password}, headers=origin)
    if status != 303 or res.getheader("Location") != "/mfa/setup":
        raise RuntimeError(f"sign-in answered {status} to {res.getheader('Location')}")
    status, page, _ = web.request("GET", "/mfa/setup", headers={"Accept": "text/html"})
    m = re.search(rb'id="totp-secret"[^>]*>([A-Z2-7 =]+)<', page)
    if status != 200 or not m:
        raise RuntimeError(f"/mfa/setup answered {status} without a secret")
    code = totp(m.group(1).decode())
    status, _, res = web.request("POST", "/mfa/setup", form={"_csrf": _csrf(page), "code": code}, headers=origin)
    if status != 303:
        raise RuntimeError(f"TOTP enrolment answered {status}")
    return web


def csrf_token(web):
    """The session's CSRF token, from the account page."""
    status, page, _ = web.request("GET", "/account", headers={"Accept": "text/html"})
    if status != 200:
        raise RuntimeError(f"/account answered {status}")
    return _csrf(page)


def api_token(base, email, password):
    """Signs in (`sign_in`) and makes a personal API token with the session: `POST /api/v1/tokens` with the
    session cookie and its CSRF token."""
    web = sign_in(base, email, password)
    status, body, _ = web.request(
        "POST", "/api/v1/tokens", body={"name": "robustness", "expires_in_days": 1},
        headers={"X-CSRF-Token": csrf_token(web), "Origin": base},
    )
    web.close()
    if status != 201:
        raise RuntimeError(f"POST /api/v1/tokens answered {status}: {body}")
    return body["token"]
