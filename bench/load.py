"""What else the machine did while the bench measured: CPU time from /proc snapshots.

A snapshot holds the machine's busy CPU time (/proc/stat) and every process's own CPU time
(/proc/<pid>/stat, user + system). Between two snapshots, the machine's busy time minus the
time of the processes the bench owns is what the rest of the host used: other engineers'
tests, a backup, a browser. The bench owns its own process and its descendants (the servers,
wrk, pgbench) and the PostgreSQL backends connected to the bench database (recognised by
their process title, ``postgres: <user> <database> ...``).

The parsing and the accounting are pure functions of snapshot data, so they are tested
without a machine to measure; ``take_snapshot`` is the only part that reads /proc.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# More than this many cores used by other processes during a round makes the round noisy.
NOISY_CORES = 0.5


@dataclass(frozen=True)
class Proc:
    """One process as /proc showed it: parent, name, title, user + system CPU in ticks."""

    pid: int
    ppid: int
    comm: str
    title: str
    ticks: int

    @property
    def label(self) -> str:
        """How a report names the process: its command line with the program's directory
        left out, shortened, else its name."""
        program, _, rest = self.title.partition(" ")
        line = " ".join(filter(None, [program.rsplit("/", 1)[-1], rest]))
        return (line[:60] + "…" if len(line) > 60 else line) or self.comm


@dataclass(frozen=True)
class Snapshot:
    """The machine's busy CPU ticks (all cores together) and its processes at one moment."""

    at: float
    busy: int
    procs: dict[int, Proc] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    """CPU between two snapshots, in cores (1.0 = one core busy for the whole window)."""

    seconds: float
    total_cores: float
    ours_cores: float
    other_cores: float
    # The busiest processes that were not the bench's: (cores, pid, label).
    top_other: list[tuple[float, int, str]]

    @property
    def noisy(self) -> bool:
        return self.other_cores > NOISY_CORES


def parse_cpu_line(text: str) -> int:
    """Busy ticks from the ``cpu`` line of /proc/stat: everything but idle and iowait
    (guest time is already inside user and nice, so it is not added again)."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            values = [int(v) for v in line.split()[1:]]
            user, nice, system, idle, iowait, irq, softirq = values[:7]
            steal = values[7] if len(values) > 7 else 0
            return user + nice + system + irq + softirq + steal
    raise ValueError("no cpu line in /proc/stat")


def parse_proc_stat(text: str, title: str = "") -> Proc:
    """A process from its /proc/<pid>/stat line. The name sits in parentheses and may hold
    spaces and parentheses itself, so the fields are counted from the last ')'."""
    pid = int(text[: text.index("(")])
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    # After the name: state(3) ppid(4) ... utime(14) stime(15), numbered as in proc(5).
    return Proc(pid=pid, ppid=int(rest[1]), comm=comm, title=title,
                ticks=int(rest[11]) + int(rest[12]))


def backend_database(title: str) -> str | None:
    """The database a PostgreSQL backend serves, from its process title
    (``postgres: user database host activity``, the host ``[local]`` or ``address(port)``);
    None for anything else (the postmaster, the checkpointer, a launcher, another program)."""
    parts = title.split()
    if (len(parts) >= 4 and parts[0] == "postgres:"
            and (parts[3] == "[local]" or re.fullmatch(r"\S+\(\d+\)", parts[3]))):
        return parts[2]
    return None


def owned_pids(procs: dict[int, Proc], root: int, database: str) -> set[int]:
    """The bench's processes: ``root`` and all its descendants, and the backends of
    ``database``."""
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    owned, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in owned:
            continue
        owned.add(pid)
        todo += children.get(pid, [])
    owned |= {p.pid for p in procs.values() if backend_database(p.title) == database}
    return owned


def usage(before: Snapshot, after: Snapshot, root: int, database: str,
          hz: int = HZ) -> Usage:
    """CPU used between ``before`` and ``after``, split into the bench's and the rest's.

    A process is the bench's if it was at either snapshot. One that started during the
    window counts all its CPU time (it was all spent in the window); one that ended during
    it is lost to the bench's side and lands on the other side, which errs towards calling
    a round noisy, never towards calling it quiet. Other processes' time is the machine's
    busy time minus the bench's, so processes that came and went between the snapshots
    (a test run's short-lived helpers) are counted too.
    """
    seconds = after.at - before.at
    if seconds <= 0:
        raise ValueError("the second snapshot must come later")
    merged = {**before.procs, **after.procs}
    owned = owned_pids(merged, root, database)

    def spent(pid: int) -> int:
        start = before.procs[pid].ticks if pid in before.procs else 0
        end = after.procs[pid].ticks if pid in after.procs else start
        return max(0, end - start)

    ours = sum(spent(pid) for pid in owned)
    total = max(0, after.busy - before.busy)
    other = max(0, total - ours)
    top = sorted(((spent(pid) / hz / seconds, pid, merged[pid].label)
                  for pid in merged if pid not in owned and spent(pid) > 0), reverse=True)
    scale = hz * seconds
    return Usage(seconds=seconds, total_cores=total / scale, ours_cores=ours / scale,
                 other_cores=other / scale, top_other=top[:3])


def combine(parts: list[Usage]) -> Usage:
    """Several windows (the blocks of one round) as one: cores weighted by each window's
    length; the busiest other processes over all windows (each window names its three
    busiest, so a process is counted in the windows where it was among them)."""
    seconds = sum(u.seconds for u in parts)

    def weighted(name: str) -> float:
        return sum(getattr(u, name) * u.seconds for u in parts) / seconds

    busy: dict[tuple[int, str], float] = {}
    for u in parts:
        for cores, pid, name in u.top_other:
            busy[pid, name] = busy.get((pid, name), 0.0) + cores * u.seconds / seconds
    top = sorted(((cores, pid, name) for (pid, name), cores in busy.items()), reverse=True)[:3]
    return Usage(seconds=seconds, total_cores=weighted("total_cores"),
                 ours_cores=weighted("ours_cores"), other_cores=weighted("other_cores"),
                 top_other=top)


def take_snapshot(clock) -> Snapshot:
    """The machine's busy time and every process's CPU time, read from /proc now."""
    at = clock()
    busy = parse_cpu_line((PROC / "stat").read_text())
    procs = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:  # gone between listing and reading
            continue
        p = parse_proc_stat(stat, title)
        procs[p.pid] = p
    return Snapshot(at=at, busy=busy, procs=procs)
