"""The benchmark's CPU accounting: what the rest of the host used during a round, from /proc
snapshots (bench/load.py; recorded /proc text, no machine to measure)."""

from __future__ import annotations

import os
import time

import pytest

from bench.load import (
    Proc,
    Snapshot,
    backend_database,
    combine,
    owned_pids,
    parse_cpu_line,
    parse_proc_stat,
    take_snapshot,
    usage,
)

PROC_STAT = """cpu  1000 50 300 9000 200 10 20 5 0 0
cpu0 500 25 150 4500 100 5 10 3 0 0
intr 12345
"""


def _stat(pid, comm, ppid, utime, stime):
    # Fields as in proc(5): pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
    # majflt cmajflt utime stime cutime cstime ...
    return (f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} {stime} "
            "7 8 20 0 1 0 100 1000 10 18446744073709551615\n")


def test_busy_ticks_leave_out_idle_and_iowait():
    assert parse_cpu_line(PROC_STAT) == 1000 + 50 + 300 + 10 + 20 + 5
    assert parse_cpu_line("cpu  1 2 3 4 5 6 7\n") == 1 + 2 + 3 + 6 + 7
    with pytest.raises(ValueError):
        parse_cpu_line("intr 1\n")


def test_a_process_line_is_read_from_the_last_parenthesis():
    p = parse_proc_stat(_stat(42, "odd (name) x", 7, 120, 30), title="gunicorn: worker")
    assert p == Proc(pid=42, ppid=7, comm="odd (name) x", title="gunicorn: worker", ticks=150)


@pytest.mark.parametrize("title, database", [
    ("postgres: stadtspur stadtspur_bench [local] SELECT", "stadtspur_bench"),
    ("postgres: bench stadtspur_bench 127.0.0.1(5432) idle", "stadtspur_bench"),
    ("postgres: checkpointer", None),
    ("postgres: autovacuum launcher", None),
    ("postgres: logical replication launcher", None),
    ("postgres: parallel worker for PID 4242", None),
    ("/usr/lib/postgresql/15/bin/postgres -D /data", None),
    ("wrk -t2 -c8 http://127.0.0.1:8000", None),
    ("", None),
])
def test_backends_are_known_by_their_database(title, database):
    assert backend_database(title) == database


def _procs(*rows):
    return {pid: Proc(pid, ppid, comm, title, ticks) for pid, ppid, comm, title, ticks in rows}


def test_the_bench_owns_its_descendants_and_its_database_backends():
    procs = _procs(
        (1, 0, "init", "", 0),
        (10, 1, "python", "bench/run.py", 0),
        (11, 10, "gunicorn", "gunicorn master", 0),
        (12, 11, "gunicorn", "gunicorn worker", 0),
        (13, 10, "wrk", "wrk", 0),
        (20, 1, "postgres", "postgres -D x", 0),
        (21, 20, "postgres", "postgres: u stadtspur_bench [local] idle", 0),
        (22, 20, "postgres", "postgres: u stadtspur_test_1 [local] SELECT", 0),
        (30, 1, "pytest", "pytest", 0),
    )
    assert owned_pids(procs, 10, "stadtspur_bench") == {10, 11, 12, 13, 21}


def test_other_cpu_is_the_machines_busy_time_minus_the_benchs():
    before = Snapshot(at=100.0, busy=10_000, procs=_procs(
        (10, 1, "python", "run.py", 50), (12, 10, "gunicorn", "w", 1000),
        (21, 1, "postgres", "postgres: u bench [local] idle", 500),
        (30, 1, "pytest", "pytest", 2000)))
    # Two seconds at 100 ticks/s: 400 ticks of busy time at most on two cores.
    after = Snapshot(at=102.0, busy=10_340, procs=_procs(
        (10, 1, "python", "run.py", 52), (12, 10, "gunicorn", "w", 1150),
        (13, 10, "wrk", "wrk", 60),  # started in the window: all its time counts
        (21, 1, "postgres", "postgres: u bench [local] idle", 560),
        (30, 1, "pytest", "pytest", 2060)))
    u = usage(before, after, root=10, database="bench", hz=100)
    assert u.seconds == 2.0
    assert u.total_cores == pytest.approx(1.7)
    assert u.ours_cores == pytest.approx((2 + 150 + 60 + 60) / 200)
    assert u.other_cores == pytest.approx(68 / 200)
    assert not u.noisy
    assert u.top_other == [(pytest.approx(0.3), 30, "pytest")]


def test_more_than_half_a_core_elsewhere_is_noisy_even_from_processes_already_gone():
    before = Snapshot(at=0.0, busy=0, procs=_procs((10, 1, "python", "run.py", 0)))
    # 120 ticks over one second, none of them the bench's, by a process no snapshot saw.
    after = Snapshot(at=1.0, busy=120, procs=_procs((10, 1, "python", "run.py", 0)))
    u = usage(before, after, root=10, database="bench", hz=100)
    assert u.other_cores == pytest.approx(1.2)
    assert u.noisy


def test_a_window_must_move_forward():
    s = Snapshot(at=5.0, busy=0, procs={})
    with pytest.raises(ValueError):
        usage(s, s, root=1, database="bench")


def test_blocks_of_a_round_combine_weighted_by_their_length():
    quiet = usage(Snapshot(0.0, 0, {}), Snapshot(3.0, 30, {}), root=1, database="b", hz=100)
    busy = usage(Snapshot(0.0, 0, {}), Snapshot(1.0, 190, {}), root=1, database="b", hz=100)
    both = combine([quiet, busy])
    assert both.seconds == 4.0
    assert both.other_cores == pytest.approx((0.1 * 3 + 1.9 * 1) / 4)
    assert not combine([quiet, quiet]).noisy
    assert both.noisy


def test_a_snapshot_of_this_machine_sees_this_process_working():
    before = take_snapshot(time.monotonic)
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    after = take_snapshot(time.monotonic)
    assert os.getpid() in after.procs
    assert after.procs[os.getpid()].ticks > before.procs[os.getpid()].ticks
    assert after.busy > before.busy


def test_a_round_names_the_busiest_other_processes_once_each():
    def window(seconds, pytest_ticks, chromium_ticks):
        before = Snapshot(0.0, 0, _procs((30, 1, "python3", "python -m pytest -n 2", 0),
                                         (40, 1, "chromium", "", 0)))
        after = Snapshot(seconds, pytest_ticks + chromium_ticks, _procs(
            (30, 1, "python3", "python -m pytest -n 2", pytest_ticks),
            (40, 1, "chromium", "", chromium_ticks)))
        return usage(before, after, root=10, database="bench", hz=100)

    both = combine([window(1.0, 80, 10), window(3.0, 30, 60)])
    assert both.top_other == [(pytest.approx((0.8 * 1 + 0.1 * 3) / 4), 30, "python -m pytest -n 2"),
                              (pytest.approx((0.1 * 1 + 0.2 * 3) / 4), 40, "chromium")]


def test_a_long_command_line_is_shortened_in_reports():
    assert Proc(1, 0, "python3", "x" * 100, 0).label == "x" * 60 + "…"
    assert Proc(1, 0, "kworker/0:1", "", 0).label == "kworker/0:1"
    assert Proc(1, 0, "python3", "/opt/venv/bin/python3 -m pytest -n 2", 0).label == (
        "python3 -m pytest -n 2")
    assert Proc(1, 0, "postgres", "postgres: checkpointer", 0).label == "postgres: checkpointer"
