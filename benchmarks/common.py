"""Shared benchmark helpers: each measured step runs in its own process for an honest peak memory."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from contextlib import contextmanager


@contextmanager
def measured(result: dict):
    """Fill `result` with the wall time and the process's peak resident memory."""
    start = time.perf_counter()
    yield
    result["seconds"] = round(time.perf_counter() - start, 2)
    result["peak_gib"] = round(peak_resident_kib() / 2**20, 2)


def peak_resident_kib() -> int:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it does not survive exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_step(module: str, *args: str) -> dict:
    """Run `python -m module args...` in a fresh process; it prints one JSON line last."""
    completed = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark step {module} {' '.join(args)} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report_step(result: dict) -> None:
    print(json.dumps(result))


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
