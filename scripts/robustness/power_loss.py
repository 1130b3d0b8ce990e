#!/usr/bin/env python3
"""Power-loss approximation on SQLite: the disk as it was at random moments of mixed writes, then opened again.

The data directory lives on an ext4 file system on a loop device (a file-backed block device; Linux, root). The
loop device's backing file holds exactly what the file system has written to its "disk": what is still only in
that file system's page cache (data written but not yet flushed, SQLite's shared-memory index, a transaction
being written) is not in it. At random moments during the same mixed writes as the crash trials, the server is
paused (SIGSTOP), the loop device is left to go quiet, the backing file is copied (`dd iflag=direct`), and the
server goes on (SIGCONT). A copy is kept only if the device wrote nothing while it was read, so each copy is
the disk at one instant. The ids acknowledged before the pause are noted with it.

Afterwards each copy is mounted on a loop device of its own (ext4 replays its journal, as after a power cut),
and checked: `rapport audit verify` opens it (SQLite recovers its WAL) and finds the chain intact;
`PRAGMA integrity_check` answers ok; every id acknowledged before that copy was taken is in it, and no client is
older than its last update acknowledged before it; no clinician
has two overlapping appointments; `rapport serve` on the copy becomes ready.

Why not copy the database files with O_DIRECT reads, as first planned: on Linux a direct read first writes the
file's dirty page-cache pages back (filemap_write_and_wait_range), so it sees what the page cache holds, which
is what a kill -9 leaves (the crash trials' case), not what a power cut leaves.

Not simulated: a drive that ignores or reorders flushes, or tears a sector; the backing file itself is in the
host's page cache, which is the "disk" here and survives. dm-flakey (failing or dropping writes at the device)
is not available on this machine: the kernel has no device-mapper.

  RAPPORT_BIN=target/debug/rapport scripts/robustness/power_loss.py --snapshots 20
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from crash_trials import KINDS, OVERLAPS, Ledger, Load, stored_ids
from rapport_proc import Database, Http, Server, api_token, audit_verify, create_account, rapport


def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout.strip()


class LoopDisk:
    """An ext4 file system in a sparse file, mounted through a loop device."""

    def __init__(self, image, mountpoint, size_mb=None):
        self.image, self.mountpoint = image, mountpoint
        if size_mb:
            with open(image, "wb") as f:
                f.truncate(size_mb * 1024 * 1024)
            sh("mkfs.ext4", "-q", "-F", image)
        self.dev = sh("losetup", "--find", "--show", image)
        os.makedirs(mountpoint, exist_ok=True)
        sh("mount", self.dev, mountpoint)

    def writes(self):
        """(sectors written, requests in flight) of the loop device, from /sys/block/loopN/stat."""
        with open(f"/sys/block/{os.path.basename(self.dev)}/stat") as f:
            fields = f.read().split()
        return int(fields[6]), int(fields[8])

    def close(self):
        subprocess.run(["umount", self.mountpoint], capture_output=True)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)


def snapshot(disk, server, ledger, dest):
    """Pauses the server, copies the disk when it is quiet; returns the ids acknowledged before the pause, or
    None when the device wrote during the copy (the copy is then not one instant and is dropped)."""
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        with ledger.lock:
            acked = {k: set(v) for k, v in ledger.acked.items()}
            acked["versions"] = dict(ledger.versions)
        # Let the requests the loop device already has finish: they were issued before the pause.
        deadline, last = time.monotonic() + 5, None
        while time.monotonic() < deadline:
            now = disk.writes()
            if now == last and now[1] == 0:
                break
            last = now
            time.sleep(0.05)
        before = disk.writes()
        cached = file_digests(os.path.join(disk.mountpoint, "data"))
        sh("dd", f"if={disk.image}", f"of={dest}", "bs=4M", "iflag=direct", "conv=sparse", "status=none")
        if disk.writes() != before:
            os.unlink(dest)
            return None
        return acked, cached
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)


DB_FILES = ("rapport.db", "rapport.db-wal", "rapport.db-shm")


def file_digests(data_dir):
    """SHA-256 of the database's files as read through the file system (its page cache when live)."""
    out = {}
    for name in DB_FILES:
        try:
            with open(os.path.join(data_dir, name), "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
        except FileNotFoundError:
            out[name] = None
    return out


def check_copy(image, mountpoint, acked, cached):
    """Mounts one copy and runs the checks; returns (failures, facts). `cached` are the digests of the files as
    the page cache held them when the copy was taken: which files the disk held otherwise shows what the copy
    lost against a kill -9 at the same moment."""
    failures, facts = [], {}
    disk = LoopDisk(image, mountpoint)
    try:
        db = Database("sqlite", dir=os.path.join(mountpoint, "data"))
        on_disk = file_digests(db.dir)
        facts["differs_from_page_cache"] = [n for n in DB_FILES if on_disk[n] != cached[n]]
        intact, verdict = audit_verify(db)
        facts["audit"] = verdict
        if not intact:
            failures.append(f"audit verify: {verdict}")
        integrity = db.query("PRAGMA integrity_check")
        if integrity != [("ok",)]:
            failures.append(f"integrity_check: {integrity[:5]}")
        for kind in KINDS:
            missing = acked[kind] - stored_ids(db, kind)
            facts[kind + "s"] = len(acked[kind])
            if missing:
                failures.append(f"{len(missing)} acknowledged {kind}(s) missing, e.g. {sorted(missing)[:3]}")
        stored = {str(uuid.UUID(r[0])): int(r[1]) for r in db.query("SELECT hex(id), version FROM clients")}
        behind = [c for c, v in acked["versions"].items() if stored.get(c, 0) < v]
        facts["updated_clients"] = len(acked["versions"])
        if behind:
            failures.append(f"{len(behind)} client(s) older than their acknowledged update, e.g. {behind[:3]}")
        overlaps = int(db.query(OVERLAPS)[0][0])
        if overlaps:
            failures.append(f"{overlaps} overlapping appointment pair(s)")
        server = Server(db).start()
        try:
            facts["ready_s"] = round(server.wait_ready(), 3)
        finally:
            server.stop()
    finally:
        disk.close()
    return failures, facts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snapshots", type=int, default=20)
    p.add_argument("--writers", type=int, default=6)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", help="write the summary here")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("power-loss approximation: needs root (loop devices, mount); skipped", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="rapport-powerloss-")
    disk = server = None
    copies, dropped, results = [], 0, []
    started = time.monotonic()
    print(f"power-loss approximation: {args.snapshots} disk copies, seed {seed}", flush=True)
    try:
        disk = LoopDisk(os.path.join(work, "disk.img"), os.path.join(work, "mnt"), size_mb=1024)
        db = Database("sqlite", dir=os.path.join(disk.mountpoint, "data"))
        os.makedirs(db.dir, mode=0o700)
        rapport(db, "migrate")
        password = create_account(db, "soak.clinician@example.org", "Soak Clinician", ["clinician"], "UTC")
        server = Server(db).start()
        server.wait_ready()
        token = api_token(server.base, "soak.clinician@example.org", password)
        _, me, _ = Http(server.base, token).request("GET", "/api/v1/me")
        ledger = Ledger()
        load = Load(server.base, token, me["id"], ledger, seed)
        threads = [threading.Thread(target=load.writer, args=(rng.random(),)) for _ in range(args.writers)]
        for t in threads:
            t.start()
        while len(copies) < args.snapshots and dropped < 10 * args.snapshots:
            time.sleep(rng.uniform(0.3, 2.0))
            dest = os.path.join(work, f"copy-{len(copies) + 1:02}.img")
            taken = snapshot(disk, server, ledger, dest)
            if taken is None:
                dropped += 1
            else:
                copies.append((dest, *taken))
        load.stop.set()
        for t in threads:
            t.join(60)
        server.stop()
        if ledger.errors:
            raise RuntimeError("the load itself failed:\n  " + "\n  ".join(ledger.errors[:10]))
        disk.close()
        disk = None
        ok = True
        for i, (image, acked, cached) in enumerate(copies, 1):
            failures, facts = check_copy(image, os.path.join(work, f"mnt-{i}"), acked, cached)
            facts["copy"] = i
            results.append(facts)
            total = sum(len(acked[k]) for k in KINDS)
            differs = ", ".join(facts.get("differs_from_page_cache") or ["none"])
            print(f"copy {i:2}: {total} writes acknowledged before it, all present; ready in {facts.get('ready_s')} s; "
                  f"{facts.get('audit')} Files the disk held otherwise than the page cache: {differs}."
                  if not failures else f"copy {i:2} FAILED:\n  " + "\n  ".join(failures),
                  flush=True)
            ok = ok and not failures
            os.unlink(image)
        for name in DB_FILES:
            n = sum(1 for r in results if name in (r.get("differs_from_page_cache") or []))
            print(f"{name}: on the disk otherwise than in the page cache in {n} of {len(results)} copies")
        print(f"power-loss approximation: {'OK' if ok else 'FAILED'}: {len(copies)} copies checked "
              f"({dropped} dropped: the device wrote while being read) in {time.monotonic() - started:.0f} s")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"seed": seed, "dropped": dropped, "copies": results}, f, indent=2)
        return 0 if ok else 1
    finally:
        if server:
            server.kill9()
        if disk:
            disk.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
