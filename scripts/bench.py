#!/usr/bin/env python3
"""`make bench`: what N mongodbatlas_api_key resources cost through the real terraform, against
the emulator, next to the same N of Terraform's built-in terraform_data (the floor).

For every repetition, latency (the emulator's --latency-ms, added to every /api/ request) and
N, both variants run the four phases in a fresh directory: apply, plan (with refresh), plan
-refresh=false, destroy. The variants alternate (api_key first in even repetitions,
terraform_data first in odd ones) so that drift on the machine touches both alike.

Per phase it prints a markdown table: the median wall time of each variant, their ratio, the
HTTP requests per resource the emulator logged (the 401 digest challenges left out and counted
separately, per phase), and the provider's peak resident set (VmHWM, sampled every 10 ms from
/proc for every provider process terraform started during the phase). Then the provider's own
launch (cargo bench --bench launch): process start to handshake line, and handshake line to the
first answered RPC.

Environment:
  BENCH_REPS=3            repetitions (medians are over them)
  BENCH_SIZES=10,50,200   resource counts
  BENCH_LATENCIES=0,100   emulator latency per request, milliseconds
  BENCH_QUICK=1           N=10 only, one repetition, 3 launches (a smoke run)
  BENCH_LAUNCH_RUNS=20    launches for the launch timing; 0 skips it
  BENCH_BIN_DIR=DIR       use the provider and emulator in DIR instead of building the release
                          profile (cargo build --release) into the target directory
  BENCH_JSON=PATH         also write every measurement, with each phase's requests by method
                          and path, as JSON to PATH

Terraform runs with its default parallelism (10). Needs python3 (standard library only),
terraform 1.11+ on PATH, cargo (unless BENCH_BIN_DIR and BENCH_LAUNCH_RUNS=0), and Linux's
/proc for the resident set (elsewhere it is left blank).
Nothing here asserts a timing; tests/it/bench.rs checks the request counts.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDER = "terraform-provider-mongodbatlas"
EMULATOR = "atlas-emulator"
PHASES = [
    ("apply", ["apply", "-auto-approve"]),
    ("plan", ["plan", "-detailed-exitcode"]),
    ("plan_no_refresh", ["plan", "-detailed-exitcode", "-refresh=false"]),
    ("destroy", ["destroy", "-auto-approve"]),
]
PHASE_TITLES = {
    "apply": "apply (create N)",
    "plan": "plan (with refresh, no changes)",
    "plan_no_refresh": "plan -refresh=false (no changes)",
    "destroy": "destroy (N)",
}
VARIANTS = ["api_key", "terraform_data"]
# Path segments that are ids, replaced so that requests group by operation.
ID_SEGMENT = re.compile(r"^(?:[0-9a-f]{24}|[a-z]{8}|[0-9a-f-]{36})$")


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def int_list(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        fail(f"{name} must be a comma-separated list of integers, not {raw!r}")
    if not values or any(v < 0 for v in values):
        fail(f"{name} must list non-negative integers, not {raw!r}")
    return values


def settings():
    quick = os.environ.get("BENCH_QUICK", "") == "1"
    sizes = int_list("BENCH_SIZES", [10] if quick else [10, 50, 200])
    if 0 in sizes:
        fail("BENCH_SIZES must be positive")
    reps = int_list("BENCH_REPS", [1 if quick else 3])
    if len(reps) != 1 or reps[0] < 1:
        fail("BENCH_REPS must be one positive integer")
    launch_runs = int_list("BENCH_LAUNCH_RUNS", [3 if quick else 20])
    if len(launch_runs) != 1:
        fail("BENCH_LAUNCH_RUNS must be one integer")
    return {
        "quick": quick,
        "sizes": sizes,
        "latencies": int_list("BENCH_LATENCIES", [0, 100]),
        "reps": reps[0],
        "launch_runs": launch_runs[0],
        "bin_dir": os.environ.get("BENCH_BIN_DIR", "").strip(),
        "json": os.environ.get("BENCH_JSON", "").strip(),
    }


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def build_release():
    """The release profile of the provider and the emulator; returns the directory."""
    print("bench: cargo build --release (provider and emulator)", file=sys.stderr, flush=True)
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", PROVIDER, "-p", EMULATOR, "--bins"],
        cwd=ROOT,
        check=True,
    )
    return target_dir() / "release"


def machine():
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass

    def run(*command):
        try:
            return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    commit = run("git", "rev-parse", "--short=12", "HEAD")
    if run("git", "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    terraform = run("terraform", "version").splitlines()[0] if shutil.which("terraform") else "missing"
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": system,
        "terraform": terraform,
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


class Emulator:
    """One atlas-emulator process with a fixed latency."""

    def __init__(self, bin_dir, latency_ms, work):
        self.log = open(work / f"emulator-{latency_ms}ms.log", "wb")
        env = dict(os.environ, RUST_LOG="warn")
        self.process = subprocess.Popen(
            [str(bin_dir / EMULATOR), "--port", "0", "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            fail(f"the emulator did not start; see {self.log.name}")
        self.seed = json.loads(line)
        self.base_url = self.seed["base_url"]

    def admin(self, method, path):
        request = urllib.request.Request(self.base_url + path, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def clear_requests(self):
        self.admin("DELETE", "/__emulator/requests")

    def requests(self):
        return self.admin("GET", "/__emulator/requests")

    def api_key_count(self):
        return len(self.admin("GET", "/__emulator/state")["api_keys"])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class ProviderMemory:
    """Samples VmHWM (peak resident set) of every provider process below one terraform process.

    VmHWM only grows, so the last sample of each process is its peak up to 10 ms before it
    exited; a process that lives less than one interval may be missed (counted in `seen` only
    when sampled).
    """

    INTERVAL = 0.01

    def __init__(self, parent_pid):
        self.parent_pid = parent_pid
        self.peak_kib = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def children(self):
        found = set()
        try:
            tasks = os.listdir(f"/proc/{self.parent_pid}/task")
        except OSError:
            return found
        for task in tasks:
            try:
                with open(f"/proc/{self.parent_pid}/task/{task}/children") as f:
                    found.update(int(pid) for pid in f.read().split())
            except OSError:
                continue
        return found

    def run(self):
        while not self.stopped.is_set():
            for pid in self.children():
                try:
                    # The kernel keeps 15 bytes of the name. A child that has not exec'd yet
                    # is still "terraform" (sharing terraform's memory), which must not count.
                    with open(f"/proc/{pid}/comm") as f:
                        if f.read().rstrip("\n") != PROVIDER[:15]:
                            continue
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                kib = int(line.split()[1])
                                self.peak_kib[pid] = max(kib, self.peak_kib.get(pid, 0))
                                break
                except (OSError, ValueError):
                    continue
            self.stopped.wait(self.INTERVAL)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return {
            "peak_rss_mib": max(self.peak_kib.values()) / 1024 if self.peak_kib else None,
            "provider_processes_seen": len(self.peak_kib),
        }


def configuration(variant, n, emulator):
    if variant == "terraform_data":
        return (
            f'resource "terraform_data" "k" {{\n  count = {n}\n  input = "bench-${{count.index}}"\n}}\n'
        )
    return (
        'terraform {\n  required_providers {\n    mongodbatlas = { source = "mongodb/mongodbatlas" }\n  }\n}\n\n'
        f'provider "mongodbatlas" {{\n  base_url = "{emulator.base_url}"\n}}\n\n'
        f'resource "mongodbatlas_api_key" "k" {{\n  count       = {n}\n  org_id      = "{emulator.seed["org_id"]}"\n'
        '  description = "bench-${count.index}"\n  role_names  = ["ORG_MEMBER"]\n}\n'
    )


def operation(entry):
    """`METHOD /path` with ids replaced by `{id}`, for grouping the request log."""
    segments = ["{id}" if ID_SEGMENT.match(s) else s for s in entry["path"].split("/")]
    return f'{entry["method"]} {"/".join(segments)}'


def count_requests(log):
    """Splits the request log into challenges (401) and the rest, grouped by operation."""
    challenges = sum(1 for e in log if e.get("status") == 401)
    by_operation = {}
    for entry in log:
        if entry.get("status") == 401:
            continue
        key = operation(entry)
        by_operation[key] = by_operation.get(key, 0) + 1
    return {
        "requests": len(log) - challenges,
        "challenges": challenges,
        "by_operation": dict(sorted(by_operation.items())),
        "statuses": sorted({e.get("status") for e in log if e.get("status") != 401}, key=str),
    }


def terraform_env(cli_config, emulator):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "MONGODB_ATLAS_", "MCLI_"))}
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config),
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        MONGODB_ATLAS_PUBLIC_KEY=emulator.seed["public_key"],
        MONGODB_ATLAS_PRIVATE_KEY=emulator.seed["private_key"],
    )
    return env


def trial(variant, n, emulator, cli_config, work):
    """The four phases of one variant in a fresh directory; one record per phase."""
    directory = Path(tempfile.mkdtemp(prefix=f"{variant}-{n}-", dir=work))
    (directory / "main.tf").write_text(configuration(variant, n, emulator))
    env = terraform_env(cli_config, emulator)
    records = []
    for phase, args in PHASES:
        emulator.clear_requests()
        command = ["terraform", *args, "-input=false", "-no-color", "-compact-warnings"]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        memory = ProviderMemory(process.pid)
        output, _ = process.communicate()
        wall = time.perf_counter() - started
        sampled = memory.stop()
        if process.returncode != 0:
            fail(
                f"terraform {' '.join(args)} ({variant}, N={n}) exited {process.returncode}:\n"
                + output.decode(errors="replace")
            )
        records.append({"phase": phase, "wall_s": wall, **count_requests(emulator.requests()), **sampled})
    left = emulator.api_key_count()
    if left != 1:
        fail(f"after destroying {variant} N={n} the emulator holds {left} API keys, not the seeded one")
    shutil.rmtree(directory)
    return records


def launch_timing(bin_dir, runs):
    """`cargo bench --bench launch` against the provider in bin_dir; None when runs is 0."""
    if runs == 0:
        return None
    print("bench: cargo bench --bench launch", file=sys.stderr, flush=True)
    output = subprocess.run(
        [
            "cargo", "bench", "--locked", "-p", PROVIDER, "--bench", "launch", "--",
            "--runs", str(runs), "--json", "--binary", str(bin_dir / PROVIDER),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def median(values):
    return statistics.median(values) if values else None


def summarise(results, config):
    """(phase, n, latency) -> the medians and counts the tables show."""
    rows = {}
    for phase, _ in PHASES:
        for latency in config["latencies"]:
            for n in config["sizes"]:
                cells = {}
                for variant in VARIANTS:
                    records = [
                        r for r in results
                        if r["phase"] == phase and r["variant"] == variant and r["n"] == n and r["latency_ms"] == latency
                    ]
                    requests = sorted({r["requests"] for r in records})
                    challenges = sorted({r["challenges"] for r in records})
                    rss = [r["peak_rss_mib"] for r in records if r["peak_rss_mib"] is not None]
                    cells[variant] = {
                        "wall_s": median([r["wall_s"] for r in records]),
                        "requests": requests,
                        "challenges": challenges,
                        "requests_per_resource": [q / n for q in requests],
                        "peak_rss_mib": max(rss) if rss else None,
                        "provider_processes_seen": max((r["provider_processes_seen"] for r in records), default=0),
                    }
                rows[(phase, n, latency)] = cells
    return rows


def spread(values, fmt):
    """One value, or `low–high` when repetitions disagreed (they should not)."""
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(values[0])}–{fmt(values[-1])}"


def tables(rows, config):
    lines = []
    for phase, _ in PHASES:
        lines.append(f"### {PHASE_TITLES[phase]}")
        lines.append("")
        lines.append(
            "| N | latency | api_key s | terraform_data s | ratio | requests / resource | challenges | provider peak RSS MiB | provider processes |"
        )
        lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for latency in config["latencies"]:
            for n in config["sizes"]:
                cells = rows[(phase, n, latency)]
                key, floor = cells["api_key"], cells["terraform_data"]
                ratio = key["wall_s"] / floor["wall_s"] if floor["wall_s"] else None
                rss = f'{key["peak_rss_mib"]:.1f}' if key["peak_rss_mib"] is not None else "–"
                lines.append(
                    f'| {n} | {latency} ms | {key["wall_s"]:.2f} | {floor["wall_s"]:.2f} | '
                    f'{ratio:.2f} | {spread(key["requests_per_resource"], lambda v: f"{v:.2f}")} | '
                    f'{spread(key["challenges"], str)} | {rss} | {key["provider_processes_seen"]} |'
                )
        lines.append("")
    return lines


def main():
    config = settings()
    if shutil.which("terraform") is None:
        fail("terraform 1.11+ is required on PATH: https://developer.hashicorp.com/terraform/install")
    bin_dir = Path(config["bin_dir"]).resolve() if config["bin_dir"] else build_release()
    for binary in (PROVIDER, EMULATOR):
        if not (bin_dir / binary).is_file():
            fail(f"{bin_dir / binary} is missing")

    about = machine()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    emulators = {}
    results = []
    try:
        cli_config = work / "terraformrc"
        cli_config.write_text(
            f'provider_installation {{\n  dev_overrides {{\n    "mongodb/mongodbatlas" = "{bin_dir}"\n  }}\n  direct {{}}\n}}\n'
        )
        for latency in config["latencies"]:
            emulators[latency] = Emulator(bin_dir, latency, work)
        for rep in range(config["reps"]):
            order = VARIANTS if rep % 2 == 0 else VARIANTS[::-1]
            for latency in config["latencies"]:
                for n in config["sizes"]:
                    for variant in order:
                        print(
                            f"bench: repetition {rep + 1}/{config['reps']}, {latency} ms, N={n}, {variant}",
                            file=sys.stderr,
                            flush=True,
                        )
                        for record in trial(variant, n, emulators[latency], cli_config, work):
                            results.append({"rep": rep, "variant": variant, "n": n, "latency_ms": latency, **record})
    finally:
        for emulator in emulators.values():
            emulator.stop()
        shutil.rmtree(work, ignore_errors=True)

    launch = launch_timing(bin_dir, config["launch_runs"])
    rows = summarise(results, config)

    out = [
        f"## Benchmark: {about['commit']}, {about['date']}",
        "",
        f"Machine: {about['cpus']} CPUs ({about['cpu']}), {about['memory']} memory, {about['os']}; {about['terraform']}.",
        f"Binaries: {bin_dir}. Repetitions: {config['reps']} (wall times are medians); "
        "terraform's default parallelism (10).",
        "",
        "Requests per resource leave out the 401 digest challenges; challenges are the phase's total.",
        "Ratio: api_key wall time over terraform_data's at the same N and latency.",
        "",
        *tables(rows, config),
    ]
    if launch:
        hs, rpc = launch["to_handshake_ms"], launch["to_first_rpc_ms"]
        out += [
            f"### Provider launch ({launch['runs']} launches, ms)",
            "",
            "| interval | median | min | max |",
            "|---|---:|---:|---:|",
            f"| process start to handshake line | {hs['median']:.1f} | {hs['min']:.1f} | {hs['max']:.1f} |",
            f"| handshake to first answered RPC (GetProviderSchema, mTLS) | {rpc['median']:.1f} | {rpc['min']:.1f} | {rpc['max']:.1f} |",
            "",
        ]
    print("\n".join(out))

    if config["json"]:
        summary = [
            {"phase": phase, "n": n, "latency_ms": latency, **cells}
            for (phase, n, latency), cells in rows.items()
        ]
        Path(config["json"]).write_text(
            json.dumps(
                {"machine": about, "settings": config, "trials": results, "summary": summary, "launch": launch},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
