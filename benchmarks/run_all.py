"""Run every netchaos benchmark with the same options and print one combined table.

Each benchmark runs in its own subprocess (fresh interpreter, same thread caps, output
streamed live) and writes its results as JSON; the combined table and, with --json, a
combined JSON file are produced from those.

    python benchmarks/run_all.py [--quick] [--json PATH] [--repeats N] [--no-check]
                                 [--only w1,digits,tangent,import,fig8,distributed]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _peers  # noqa: E402

BENCHMARKS = [
    ("w1", "bench_w1.py"),
    ("digits", "bench_digits.py"),
    ("tangent", "bench_tangent.py"),
    ("import", "bench_import.py"),
    ("fig8", "bench_fig8.py"),
    ("distributed", "bench_distributed.py"),
]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short smoke version of every script")
    ap.add_argument("--json", metavar="PATH", help="write the combined results to PATH")
    ap.add_argument("--repeats", type=int, default=None, help="passed to every script")
    ap.add_argument("--no-check", action="store_true", help="skip the cross-checks")
    ap.add_argument("--only", default=None,
                    help="comma-separated subset of: " + ",".join(n for n, _ in BENCHMARKS))
    return ap.parse_args(argv)


def _fmt_time(r, scale=1.0):
    return f"{r['time_s'] * scale:.4g}" if r.get("status") == "ok" else "-"


def combined_table(results):
    lines = []
    hdr = (f"{'benchmark':<10} {'peer':<24} {'time':>10} {'throughput':>16} "
           f"{'netchaos/peer':>13} {'paired':>7} {'cores':>5} {'max|dθ| 20st':>13}  note")
    lines += [hdr, "-" * len(hdr)]
    for name, res in results.items():
        if res is None:
            lines.append(f"{name:<10} {'(failed -- see output above)':<24}")
            continue
        diffs = res.get("cross_check_max_abs_diff", {})
        if name.startswith("import"):
            for r in res["rows"]:
                if r.get("status") != "ok":
                    lines.append(f"{name:<10} {r['peer']:<24} {'-':>10} {'':>16} {'':>13} "
                                 f"{'':>13}  {r.get('status', '').upper()}: {r.get('note', '')}")
                elif "first_train_s" in r:
                    lines.append(f"{name:<10} {r['peer']:<24} {r['first_train_s']:>9.3f}s "
                                 f"{'':>16} {'':>13} {'':>13}  first nc.train call; import "
                                 f"{r['import_s']:.3f}s")
                else:
                    net = f" (net {r['net_s']:.3f}s)" if "net_s" in r else ""
                    lines.append(f"{name:<10} {r['peer']:<24} {r['time_s']:>9.3f}s {'':>16} "
                                 f"{'':>13} {'':>13}  median wall{net}")
            continue
        tangent = name.startswith("tangent")
        for r in res["rows"]:
            dstr, rstr, pstr = _peers.row_cells(r, diffs)
            if r.get("status") != "ok":
                lines.append(f"{name:<10} {r['peer']:<24} {'-':>10} {'-':>16} {'-':>13} "
                             f"{'-':>7} {'-':>5} {dstr:>13}  {r.get('status', '').upper()}: "
                             f"{r.get('note', '')}")
                continue
            if tangent:
                t = f"{r['time_per_step_s'] * 1e3:.3g}ms/st"
                thr = f"{_peers.fmt_rate(r['steps_per_s'])} steps/s"
            elif "traj_steps_per_s" in r:
                t = f"{r['time_s']:.4g}s"
                thr = f"{_peers.fmt_rate(r['traj_steps_per_s'])} tr-st/s"
            else:  # whole-workload rows (Fig. 8, distributed): wall time only
                t = f"{r['time_s']:.4g}s"
                thr = (f"{r['peak_rss_mb']:.0f} MB peak" if "peak_rss_mb" in r else "")
            note = r.get("note", "")
            lines.append(f"{name:<10} {r['peer']:<24} {t:>10} {thr:>16} {rstr:>13} "
                         f"{pstr:>7} {r.get('cores_used', float('nan')):>5.2f} {dstr:>13}  {note}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    selected = [b for b in BENCHMARKS if not args.only or b[0] in args.only.split(",")]
    passthrough = []
    if args.quick:
        passthrough.append("--quick")
    if args.repeats is not None:
        passthrough += ["--repeats", str(args.repeats)]
    if args.no_check:
        passthrough.append("--no-check")
    results, walls = {}, {}
    with tempfile.TemporaryDirectory(prefix="netchaos-bench-") as tmp:
        for name, script in selected:
            out = os.path.join(tmp, f"{name}.json")
            cmd = [sys.executable, os.path.join(HERE, script), *passthrough, "--json", out]
            print(f"\n##### {name}: {' '.join(cmd[1:])}", flush=True)
            t0 = time.perf_counter()
            rc = subprocess.call(cmd)
            walls[name] = time.perf_counter() - t0
            if rc == 0 and os.path.exists(out):
                with open(out) as fh:
                    results[name] = json.load(fh)
            else:
                print(f"##### {name} FAILED (exit code {rc})", flush=True)
                results[name] = None

    text, env = _peers.header("netchaos benchmarks: combined results" +
                              (" (--quick)" if args.quick else ""), [
        "benchmarks: " + ", ".join(f"{n} ({walls[n]:.0f} s)" for n, _ in selected)],
        args.repeats or (2 if args.quick else 3))
    print("\n\n" + text)
    print(combined_table(results))
    print(_peers.TABLE_LEGEND + "\n  tr-st/s = trajectory-steps per second")
    print("targets:")
    for name, res in results.items():
        for t in (res or {}).get("targets", []):
            print(f"  [{name}] " + t["text"].strip("* ").replace("(info) ", "")
                  + ("  (informational)" if t.get("informational") else ""))
    if args.json:
        _peers.write_json(args.json, {"env": env, "quick": args.quick, "wall_s": walls,
                                      "results": results})
    return results


if __name__ == "__main__":
    main()
