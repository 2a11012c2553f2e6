"""Measuring helpers for the benchmark suite: run a command, time it, read its
peak memory, timestamp milestones in its output; describe the machine.

Peak memory comes from ``wait4`` on the tool: Linux reports ``ru_maxrss`` (KiB)
as the largest resident set of the process *or of any descendant it waited for*,
i.e. the peak of the single largest process, not the sum of processes alive at
the same time. Threads share one address space, so for the peers we run (one
multi-threaded process each; ``stdbuf`` execs in place) it is the peak RSS of
the whole run. A tool that forks workers would be under-reported.

``ru_maxrss`` survives ``execve``: a process keeps the high-water mark of the
address space it replaced, which for a child started by fork/vfork is its
parent's. Read directly, every tool would weigh at least as much as the (large,
growing) benchmark process that starts it. So tools are started through a
small launcher (:data:`LAUNCHER`, ``python -S -E``, ~9 MiB) that spawns the tool,
waits for it and reports the tool's own rusage and wall time through a pipe:
the floor under every figure is then the launcher's ~9 MiB.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

_MAX_KEEP = 4 << 20  # bytes of each stream kept (the tail) when a tool is chatty

# argv: report fd, then the command. Writes "wall maxrss_kib utime stime exitcode".
LAUNCHER = """\
import os, sys, time
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
t = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
code = os.waitstatus_to_exitcode(status)
os.write(fd, ("%r %d %r %r %d" % (wall, ru.ru_maxrss, ru.ru_utime, ru.ru_stime, code)).encode())
sys.exit(code if code >= 0 else 128 - code)
"""
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni")


@dataclass
class RunResult:
    """One finished (or killed) command.

    ``marks`` maps a milestone name to (first, last) seconds since launch at which
    its regex matched a line of stdout or stderr (lines end at ``\\n`` or ``\\r``,
    so progress meters count). Times are when the bytes reached us, so a tool
    must flush (see ``line_buffered``) for them to mean anything.
    """
    cmd: List[str]
    returncode: int
    wall_s: float
    peak_rss_kib: Optional[int]     # None when the tool could not be started
    user_s: Optional[float]
    sys_s: Optional[float]
    stdout: str
    stderr: str
    timed_out: bool = False
    marks: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    mark_text: Dict[str, str] = field(default_factory=dict)  # last matching line per mark
    machine_cpu_s: Optional[float] = None   # CPU time used by the whole machine meanwhile

    @property
    def others_cpus(self) -> Optional[float]:
        """Mean number of CPUs kept busy by *other* processes during the run (machine CPU
        time minus the tool's, over the wall time): 0 on a quiet machine."""
        if self.machine_cpu_s is None or self.user_s is None or not self.wall_s:
            return None
        return max(0.0, (self.machine_cpu_s - self.user_s - (self.sys_s or 0.0)) / self.wall_s)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, n_chars: int = 2000) -> str:
        """Last characters of stderr then stdout, for error messages."""
        text = (self.stderr[-n_chars:] + "\n" + self.stdout[-n_chars:]).strip()
        return text.replace("\r", "\n")


class _Reader(threading.Thread):
    """Drain one pipe, keeping its tail and timestamping marked lines."""

    def __init__(self, fd: int, t0: float, patterns: Mapping[str, "re.Pattern[bytes]"],
                 marks: dict, mark_text: dict, lock: threading.Lock):
        super().__init__(daemon=True)
        self.fd, self.t0, self.patterns = fd, t0, patterns
        self.marks, self.mark_text, self.lock = marks, mark_text, lock
        self.buf = bytearray()

    def run(self) -> None:
        pending = b""
        while True:
            try:
                block = os.read(self.fd, 65536)
            except OSError:
                block = b""
            now = time.perf_counter() - self.t0
            if not block:
                if pending:
                    self._match(pending, now)
                break
            self.buf += block
            if len(self.buf) > 2 * _MAX_KEEP:
                del self.buf[:-_MAX_KEEP]
            if self.patterns:
                parts = re.split(rb"[\r\n]", pending + block)
                pending = parts.pop()
                if len(pending) > 65536:  # never an unbounded partial line
                    pending = pending[-65536:]
                for line in parts:
                    if line:
                        self._match(line, now)
        os.close(self.fd)

    def _match(self, line: bytes, now: float) -> None:
        for name, pat in self.patterns.items():
            if pat.search(line):
                with self.lock:
                    first = self.marks.get(name, (now, now))[0]
                    self.marks[name] = (first, now)
                    self.mark_text[name] = line.decode("utf-8", "replace")


def run_command(cmd: Sequence[str], *, env: Optional[Mapping[str, str]] = None,
                cwd: Optional[str] = None, timeout: Optional[float] = None,
                marks: Optional[Mapping[str, str]] = None, line_buffered: bool = True) -> RunResult:
    """Run ``cmd`` in its own process group; return wall time, peak RSS and output.

    ``env`` entries are added to the current environment. ``marks`` maps names
    to regexes (matched against output lines as bytes, UTF-8 encoded pattern).
    ``line_buffered`` prefixes ``stdbuf -oL -eL`` when available so that C stdio
    output arrives line by line instead of at exit (progress meters that print
    ``\\r`` already flush). ``timeout`` kills the whole group and sets ``timed_out``.
    """
    cmd = [str(c) for c in cmd]
    full_env = dict(os.environ)
    if env:
        full_env.update({k: str(v) for k, v in env.items()})
    launch = list(cmd)
    stdbuf = shutil.which("stdbuf") if line_buffered else None
    if stdbuf:
        launch = [stdbuf, "-oL", "-eL"] + launch
    patterns = {k: re.compile(v.encode()) for k, v in (marks or {}).items()}
    found: Dict[str, Tuple[float, float]] = {}
    found_text: Dict[str, str] = {}
    lock = threading.Lock()

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    rep_r, rep_w = os.pipe()
    launch = [sys.executable, "-S", "-E", "-c", LAUNCHER, str(rep_w)] + launch
    cpu0 = cpu_busy_seconds()
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(launch, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                                env=full_env, cwd=cwd, start_new_session=True, pass_fds=(rep_w,))
    except BaseException:
        os.close(rep_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
        os.close(rep_w)
    readers = [_Reader(fd, t0, patterns, found, found_text, lock) for fd in (out_r, err_r)]
    for r in readers:
        r.start()

    killed = threading.Event()

    def _kill() -> None:
        killed.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, _kill) if timeout else None
    if timer:
        timer.start()
    try:
        _, status, _ = os.wait4(proc.pid, 0)
    except BaseException:      # Ctrl-C / SIGTERM in the suite: take the tool down too
        _kill()
        os.waitpid(proc.pid, 0)
        raise
    finally:
        if timer:
            timer.cancel()
    wall = time.perf_counter() - t0
    cpu1 = cpu_busy_seconds()
    with os.fdopen(rep_r, "rb") as f:
        report = f.read().split()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    peak = user = system = None
    if len(report) == 5:       # else the launcher could not start the tool (see stderr)
        tool_wall = float(report[0])
        peak, user, system = int(report[1]), float(report[2]), float(report[3])
        proc.returncode = int(report[4])
        # Milestones were stamped from our launch: move them to the tool's own clock
        # (the launcher's start-up, ~20 ms, is the difference).
        shift = max(0.0, wall - tool_wall)
        found = {k: (max(0.0, a - shift), max(0.0, b - shift)) for k, (a, b) in found.items()}
        wall = tool_wall
    return RunResult(
        cmd=cmd, returncode=proc.returncode, wall_s=wall, peak_rss_kib=peak,
        user_s=user, sys_s=system,
        stdout=bytes(readers[0].buf).decode("utf-8", "replace"),
        stderr=bytes(readers[1].buf).decode("utf-8", "replace"),
        timed_out=killed.is_set(), marks=found, mark_text=found_text,
        machine_cpu_s=None if cpu0 is None or cpu1 is None else cpu1 - cpu0)


def cpu_busy_seconds() -> Optional[float]:
    """CPU seconds the whole machine has spent busy since boot (all CPUs; /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    vals = [int(x) for x in fields[1:9]]
    busy = vals[0] + vals[1] + vals[2] + vals[5] + vals[6] + vals[7]
    return busy / os.sysconf("SC_CLK_TCK")


def wait_until_idle(max_wait: float, busy_cpus: float = 0.25, window: float = 0.5) -> Optional[float]:
    """Wait (at most ``max_wait`` s) until the machine keeps fewer than ``busy_cpus`` CPUs
    busy over a ``window``-second sample; return the last sample (CPUs busy), None if unknown.

    Called between runs, when the benchmark itself is idle, so what it sees is
    other processes: on a shared machine this keeps runs from overlapping theirs."""
    deadline = time.monotonic() + max(0.0, max_wait)
    while True:
        a = cpu_busy_seconds()
        time.sleep(window)
        b = cpu_busy_seconds()
        if a is None or b is None:
            return None
        busy = (b - a) / window
        if busy < busy_cpus or time.monotonic() >= deadline:
            return busy


def summarize(values: Iterable[float]) -> Dict[str, float]:
    """Median, min, max and count of repeated measurements (median is what we report)."""
    vals = sorted(values)
    if not vals:
        return {"n": 0}
    return {"n": len(vals), "median": statistics.median(vals), "min": vals[0], "max": vals[-1]}


def _cpuinfo() -> Tuple[str, set, int]:
    model, flags, cores = platform.processor() or "unknown", set(), set()
    phys = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if key == "model name":
                    model = val
                elif key == "flags":
                    flags = set(val.split())
                elif key == "physical id":
                    phys = val
                elif key == "core id":
                    cores.add((phys, val))
    except OSError:
        pass
    return model, flags, len(cores)


def _mem_total_gib() -> Optional[float]:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def package_version(name: str) -> Optional[str]:
    """Installed version of a Python distribution (without importing it), or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def debian_package_version(name: str) -> Optional[str]:
    """Version of an installed Debian package (e.g. 'fasttext'), or None."""
    if not shutil.which("dpkg-query"):
        return None
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), not all the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> Optional[Tuple[float, float, float]]:
    """The 1, 5 and 15 minute load averages (runnable processes), None where unknown."""
    try:
        return tuple(round(x, 2) for x in os.getloadavg())  # type: ignore[return-value]
    except (AttributeError, OSError):
        return None


def w2v_info() -> Dict[str, object]:
    """Version, build flags and (in a git checkout) commit of the w2v being measured."""
    import w2v
    info: Dict[str, object] = {"version": w2v.__version__, "path": os.path.dirname(w2v.__file__)}
    try:
        from w2v import _buildinfo
        info["openmp"] = bool(_buildinfo.openmp_enabled())
        info["compile_flags"] = _buildinfo.compile_flags()
    except ImportError as exc:  # not built: the suite will say so when w2v runs
        info["build_error"] = str(exc)
    head = _first_line(["git", "-C", str(info["path"]), "rev-parse", "--short", "HEAD"])
    if head and re.fullmatch(r"[0-9a-f]{4,40}", head):
        # Only the code counts: results files rewritten by the suite are not "dirty".
        dirty = _first_line(["git", "-C", str(info["path"]), "status", "--porcelain",
                             "--untracked-files=no", "--", ":/w2v", ":/csrc", ":/setup.py"])
        info["git"] = head + ("-dirty" if dirty else "")
    return info


def file_digest(path: str, n_hex: int = 12) -> Optional[str]:
    """Short sha256 of a file (which exact binary a peer was), None if unreadable."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()[:n_hex]


def machine_info() -> Dict[str, object]:
    """Facts that make timings comparable: CPU, cores, SIMD, memory, software versions."""
    model, flags, phys_cores = _cpuinfo()
    usable = usable_cpus()
    return {
        "cpu_model": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "physical_cores": phys_cores or None,
        "simd": {f: (f in flags) for f in SIMD_FLAGS},
        "mem_total_gib": _mem_total_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": package_version("numpy"),
        "gensim": package_version("gensim"),
        "fasttext_cli": debian_package_version("fasttext"),
        "fasttext_py": package_version("fasttext"),
        "cc": _first_line(["cc", "--version"]),
        "w2v": w2v_info(),
    }


def _first_line(cmd: Sequence[str]) -> Optional[str]:
    if not shutil.which(cmd[0]):
        return None
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else None


def format_machine(info: Mapping[str, object]) -> str:
    """One-paragraph Markdown description of ``machine_info()`` for RESULTS.md."""
    simd = ", ".join(k for k, v in dict(info.get("simd", {})).items() if v) or "none"
    versions = ", ".join(f"{k} {info[k]}" for k in ("python", "numpy", "gensim", "fasttext_cli")
                         if info.get(k))
    w = dict(info.get("w2v") or {})
    if w:
        versions = (f"w2v {w.get('version')}{' (' + str(w['git']) + ')' if w.get('git') else ''} "
                    f"built with `{w.get('compile_flags', '?')}`; " + versions)
    return (f"{info.get('cpu_model')}; {info.get('usable_cpus')} usable of {info.get('logical_cpus')} "
            f"logical CPUs ({info.get('physical_cores')} cores); SIMD: {simd}; "
            f"{info.get('mem_total_gib')} GiB RAM; Linux {info.get('kernel')}; {versions}; {info.get('cc')}")


if __name__ == "__main__":  # python -m w2v.bench.measure [command...]
    import json
    import sys

    if len(sys.argv) > 1:
        res = run_command(sys.argv[1:])
        print(json.dumps({"returncode": res.returncode, "wall_s": round(res.wall_s, 3),
                          "peak_rss_kib": res.peak_rss_kib, "user_s": res.user_s, "sys_s": res.sys_s}))
    else:
        info = machine_info()
        print(json.dumps(info, indent=1))
        print(format_machine(info))
