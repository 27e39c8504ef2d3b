"""给 JupyterHub 定规模：每章在一个新内核里执行一次，测峰值内存和 CPU 时间，算出 40 个学生要多少。

Sizing a JupyterHub for a class. Each chapter notebook is executed once, top to bottom, in
a fresh kernel (as a student who opens it and runs every cell), and measured:

- peak memory: the resident set size (RSS) of the kernel process plus all its child
  processes, sampled every 50 ms, and never less than the kernel's own high-water mark
  (``VmHWM`` in /proc/<pid>/status). RSS counts shared libraries in full, so it is an upper
  bound for one student. The anonymous part (RSS less file-backed pages: the libraries
  torch, numpy... map from the image) is shown too: the libraries' pages are shared by all
  the students on one server, the anonymous memory is each student's own. The JupyterLab
  server each student also runs is not included;
- CPU time: user + system seconds of the kernel and its children, kernel start-up included;
- wall-clock time, kernel start-up included.

The kernel runs with OMP_NUM_THREADS=1 and MKL_NUM_THREADS=1, as ``.binder/start`` sets
them for every student's server on a hub (``--threads`` changes it). Then, for a class of
40 (``--students``): the memory if everyone has the chapter open at its peak, the CPU time
the class needs, and how long the class waits for everyone to have run the chapter on a
server with 8, 16 or 32 cores (``--cores``), assuming the cores are shared evenly (from the
CPU time: the wall-clock time depends on what else the measuring machine is running).

    .venv/bin/python scripts/measure_classroom.py                 # every chapter of _toc.yml
    .venv/bin/python scripts/measure_classroom.py --chapters chapters/02_self_attention
    .venv/bin/python scripts/measure_classroom.py --json _build/classroom.json
    .venv/bin/python scripts/measure_classroom.py --from-json _build/classroom.json --students 30

Executes every chapter once: about 2 minutes on a 2-core machine. Run it on an otherwise
idle machine (timings include whatever else is running).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

import nbformat
import psutil
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def toc_notebooks() -> list[str]:
    """The notebooks of ``_toc.yml``, in reading order (without the .ipynb)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []

    def walk(entries):
        for entry in entries or []:
            if "file" in entry and (ROOT / f"{entry['file']}.ipynb").is_file():
                found.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key))

    walk([{"file": toc["root"]}])
    walk(toc.get("chapters"))
    walk(toc.get("parts"))
    return found


def _hwm(pid: int) -> int:
    """The peak RSS the kernel reached (Linux's VmHWM), in bytes; 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Samples the RSS of a process and its descendants; keeps the peak and their CPU."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.peak_anon = 0  # anonymous memory: each student's own (RSS less file-backed pages)
        self.cpu_of_children = {}  # pid -> last seen user+system seconds
        self._done = threading.Event()

    def _tree(self):
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def run(self):
        while not self._done.is_set():
            total = anon = 0
            for p in self._tree():
                try:
                    mem = p.memory_info()
                    total += mem.rss
                    anon += mem.rss - getattr(mem, "shared", 0)
                    if p.pid != self.proc.pid:
                        t = p.cpu_times()
                        self.cpu_of_children[p.pid] = t.user + t.system
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)
            self.peak_anon = max(self.peak_anon, anon)
            self._done.wait(self.interval)

    def stop(self) -> tuple[int, float]:
        """Stop sampling; return (peak RSS bytes, CPU seconds of the kernel and children)."""
        self._done.set()
        self.join()
        t = self.proc.cpu_times()
        # children_*: children that have exited and been waited for; the others, as last seen
        cpu = t.user + t.system + t.children_user + t.children_system
        cpu += sum(self.cpu_of_children.values())
        return max(self.peak, _hwm(self.proc.pid)), cpu


def measure(notebook: str, threads: int, timeout: int = 900) -> dict:
    """Execute ``notebook`` (no .ipynb) once in a fresh kernel; its wall, CPU and peak RSS."""
    path = ROOT / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    client.reset_execution_trackers()
    start = time.perf_counter()
    with client.setup_kernel(env=env):
        sampler = Sampler(client.km.provisioner.pid)
        sampler.start()
        for index, cell in enumerate(client.nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        wall = time.perf_counter() - start
        peak, cpu = sampler.stop()
        peak_anon = sampler.peak_anon
    return {
        "notebook": notebook,
        "title": _title(nb),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_mb": round(peak / MB),
        "peak_anon_mb": round(peak_anon / MB),
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "machine": (
            f"{platform.machine()}，{psutil.cpu_count()} 核，Python {platform.python_version()}"
        ),
    }


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].split("（")[0].strip()
    return ""


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} 分钟" if seconds >= 60 else f"{seconds:.0f} s"


def report(rows: list[dict], students: int, cores: list[int], threads: int) -> str:
    machine = rows[0].get("machine", "?")
    measured = rows[0].get("measured", "?")
    lines = [
        f"每章在新内核里执行一次（内核 {threads} 个线程；{machine}，{measured}）。"
        "一个学生 = 内核 + 子进程的 RSS 峰值；"
        f"{students} 人同时运行同一章时：",
        "",
        "| 章 | 一个学生：CPU 时间 | 峰值内存（其中独占） | "
        f"{students} 人：内存 | CPU 时间 | "
        + " | ".join(f"{c} 核上全班跑完" for c in cores)
        + " |",
        "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in cores) + " |",
    ]
    for r in rows:
        class_cpu = students * r["cpu_s"]
        waits = []
        for c in cores:
            # Each student needs cpu_s of CPU; c cores give the class c CPU-seconds a second,
            # but a run cannot take less than its own CPU time (one thread). Not the measured
            # wall time: that depends on whatever else the measuring machine was running.
            waits.append(_minutes(max(r["cpu_s"], class_cpu / c)))
        lines.append(
            f"| {r['title'] or r['notebook']} | {r['cpu_s']:.0f} s | "
            f"{r['peak_mb']} MB（{r['peak_anon_mb']} MB） | "
            f"{students * r['peak_mb'] / 1024:.1f} GB | "
            f"{class_cpu / 60:.0f} CPU 分钟 | " + " | ".join(waits) + " |"
        )
    heaviest = max(rows, key=lambda r: r["peak_mb"])
    total_cpu = sum(r["cpu_s"] for r in rows)
    lines += [
        "",
        f"- 内存：最重的一章（{heaviest['title']}）一个学生的内核 {heaviest['peak_mb']} MB；"
        f"{students} 人同时打开它约 {students * heaviest['peak_mb'] / 1024:.1f} GB（按 RSS，偏多："
        f"库文件的页在同一台服务器上只占一份，每人独占的内存共 "
        f"{students * heaviest['peak_anon_mb'] / 1024:.1f} GB，再加一份库"
        f" {(heaviest['peak_mb'] - heaviest['peak_anon_mb'])} MB）。"
        "每个学生的 JupyterLab 服务器另要内存（不在表里），给每人的内存上限留出余量。",
        f"- CPU：一个学生把全部 {len(rows)} 章各运行一遍共 {total_cpu:.0f} CPU 秒；"
        f"{students} 人共 {students * total_cpu / 60:.0f} CPU 分钟。"
        "现场训练占了大部分；只看 widget、不重新运行的学生几乎不用 CPU。",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--chapters", nargs="*", help="只测这些 notebook（例如 chapters/02_self_attention）"
    )
    parser.add_argument("--students", type=int, default=40, help="全班人数（默认 40）")
    parser.add_argument(
        "--cores", type=int, nargs="*", default=[8, 16, 32], help="服务器的核数（默认 8 16 32）"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="内核的线程数（默认 1，同 .binder/start）"
    )
    parser.add_argument("--json", type=Path, help="把测得的数写进这个 JSON 文件")
    parser.add_argument("--from-json", type=Path, help="不重新测量：用以前 --json 写下的数重新算表")
    args = parser.parse_args()
    if args.from_json:
        rows = json.loads(args.from_json.read_text(encoding="utf-8"))
        print(report(rows, args.students, args.cores, args.threads))
        return
    notebooks = args.chapters or toc_notebooks()
    rows = []
    for notebook in notebooks:
        notebook = notebook.removesuffix(".ipynb")
        row = measure(notebook, args.threads)
        print(
            f"{notebook}: {row['wall_s']} s, CPU {row['cpu_s']} s, "
            f"{row['peak_mb']} MB (anonymous {row['peak_anon_mb']} MB)",
            flush=True,
        )
        rows.append(row)
    print()
    print(report(rows, args.students, args.cores, args.threads))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
