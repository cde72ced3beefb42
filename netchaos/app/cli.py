"""Command line of netchaos: known-answer validation and headless reproductions.

Usage::

    netchaos validate [--case NAME ...] [--truth NAME=VALUE ...] [--seed N] [--json PATH]
    netchaos reproduce NAME [--quick] [--out DIR] [--seed N] [--jobs N] [--mnist PATH]
                            [--resume] [--no-progress] [--quiet]
    netchaos list
    netchaos app TARGET [--port N] [--ip ADDRESS] [--token TOKEN] [--browser]

``NAME`` is one of orbital, post-training, eos, intermittency, onset, tangent,
routes or all. ``validate`` exits with status 1 when a case fails; bad arguments give
status 2 (argparse). ``reproduce`` keeps the chunks of its sweeps in ``OUT/NAME/checkpoints``
as they finish; Ctrl-C (or SIGTERM) stops it with one line saying what was kept and exit status
130, and ``--resume`` continues: finished experiments are kept, interrupted sweeps reuse their
chunks, and the numbers are those of an uninterrupted run.
"""

import argparse
import os
import signal
import sys
import tempfile

__all__ = ["main", "build_parser"]

_REPRODUCE_NAMES = ("orbital", "post-training", "eos", "intermittency", "onset", "tangent",
                    "routes", "all")

_DESCRIPTION = """\
netchaos: neural-network training as a dynamical system.

  validate    run the estimators on systems with known Lyapunov exponents
  reproduce   rerun a published experiment, writing figures and summary.json
  list        list the experiments and the validation cases
  app         serve one notebook or one explorer as a stand-alone page (Voila)
"""

_EXPERIMENT_HELP = {
    "orbital": "lr=0.01: d(t) for several eps from the same initial conditions, monotone loss",
    "post-training": "perturbations after 4,000 steps at lr=0.01: slow, non-exponential decay",
    "eos": "lr=1: P(Lambda), lambda_nMLE vs eps (Fig. 8), sharpness vs 2/lr",
    "intermittency": "lr=5: laminar phases, ACF with shuffled band, Kantz exponents",
    "onset": "learning-rate sweep on digits/MNIST: lambda_nMLE, rho, time to 90% accuracy",
    "tangent": "Lyapunov spectrum of the GD map, FTLE vs final loss, tangent vs ensemble",
    "routes": "bifurcation diagrams over lr, period-3 intermittency, trainability boundary",
    "all": "every experiment in turn",
}


def _int_at_least(minimum, what):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1, "positive")
_seed = _int_at_least(0, "non-negative")


def _truth(text):
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    low = value.strip().lower()
    if low in ("true", "significant"):
        return name, True
    if low in ("false", "not-significant", "not_significant"):
        return name, False
    try:
        if "," in value:
            return name, [float(v) for v in value.split(",")]
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"VALUE of {name!r} must be a number, a comma-separated list of numbers, or "
            f"true/false, got {value!r}") from None


def build_parser():
    """The argparse parser of the ``netchaos`` command."""
    parser = argparse.ArgumentParser(
        prog="netchaos", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    val = sub.add_parser("validate", help="known-answer validation of the estimators",
                         description="Run the Lyapunov estimators on systems with known answers "
                                     "and print a table; exit status 1 if any case fails.")
    val.add_argument("--case", action="append", metavar="NAME", dest="cases",
                     help="run only this case (repeatable; see 'netchaos list')")
    val.add_argument("--truth", action="append", type=_truth, metavar="NAME=VALUE", default=[],
                     help="replace the known answer of a case (to check that a wrong answer "
                          "is caught); VALUE is a number, a comma-separated list or true/false")
    val.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    val.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    val.add_argument("--quiet", action="store_true", help="print only the final line")

    rep = sub.add_parser(
        "reproduce", help="rerun a published experiment",
        description="Rerun an experiment, writing PNG figures and summary.json into "
                    "OUT/NAME/.\n\n" + "\n".join(f"  {k:<14} {v}"
                                                  for k, v in _EXPERIMENT_HELP.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("name", choices=_REPRODUCE_NAMES, metavar="NAME",
                     help="experiment: " + ", ".join(_REPRODUCE_NAMES))
    rep.add_argument("--quick", action="store_true",
                     help="CI size: seconds per experiment instead of the published sizes")
    rep.add_argument("--out", default="results", metavar="DIR",
                     help="results folder (default: results)")
    rep.add_argument("--seed", type=_seed, default=0, help="seed of all randomness (default 0)")
    rep.add_argument("--jobs", type=_positive_int, metavar="N",
                     help="number of threads of the compiled kernels (default: all cores; "
                          "results do not depend on it)")
    rep.add_argument("--mnist", metavar="PATH",
                     help="onset: use MNIST from this folder or .npz file instead of digits")
    rep.add_argument("--resume", action="store_true",
                     help="continue an interrupted run in OUT: keep finished experiments and "
                          "reuse the finished chunks of the sweeps")
    rep.add_argument("--no-progress", action="store_true", help="no progress bars")
    rep.add_argument("--quiet", action="store_true", help="no printed summary")

    sub.add_parser("list", help="list experiments and validation cases")

    app = sub.add_parser(
        "app", help="serve one notebook or one explorer as a stand-alone page",
        description="Serve a notebook (its outputs and live explorers, no code) or a single "
                    "explorer as a web page with Voila; stop with Ctrl-C.")
    app.add_argument("target", metavar="TARGET",
                     help="a notebook number (04), a path to an .ipynb, or an explorer: "
                          "map, training, eps, post-training, ensemble, intermittency, spectrum")
    app.add_argument("--port", type=_positive_int, default=8866, help="port (default 8866)")
    app.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    app.add_argument("--token", help="require this token in the URL (default: none)")
    app.add_argument("--browser", action="store_true", help="open a browser on the page")
    return parser


def _set_jobs(parser, jobs):
    if jobs is None:
        return
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    if jobs > limit:
        parser.error(f"--jobs {jobs} exceeds the {limit} threads available to numba "
                     f"(NUMBA_NUM_THREADS)")
    numba.set_num_threads(jobs)


def _cmd_validate(args):
    from ..validation import CASE_NAMES, validate

    unknown = [c for c in (args.cases or []) if c not in CASE_NAMES] + \
              [n for n, _ in args.truth if n not in CASE_NAMES]
    if unknown:
        print(f"netchaos validate: error: unknown case(s) {', '.join(unknown)}; known: "
              f"{', '.join(CASE_NAMES)}", file=sys.stderr)
        return 2
    report = validate(verbose=not args.quiet, cases=args.cases, truths=dict(args.truth),
                      seed=args.seed)
    if args.quiet:
        n = len(report.cases)
        print(f"{n - len(report.failures)}/{n} validation cases passed"
              + ("" if report.passed else
                 "; FAILED: " + ", ".join(c.name for c in report.failures)))
    if args.json:
        from .reproduce import write_json

        write_json(args.json, report.to_dict())
    return 0 if report.passed else 1


def _cmd_reproduce(parser, args):
    from . import reproduce

    if args.mnist is not None and not os.path.exists(args.mnist):
        parser.error(f"--mnist {args.mnist!r}: no such file or folder")
    if args.mnist is not None and args.name not in ("onset", "all"):
        parser.error("--mnist applies to the onset experiment only")
    _set_jobs(parser, args.jobs)
    _check_out(parser, args.out)
    kw = dict(quick=args.quick, out=args.out, seed=args.seed, progress=not args.no_progress,
              verbose=not args.quiet, resume=args.resume)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.name == "all":
            reproduce.run_all(mnist=args.mnist, **kw)
        elif args.name == "onset":
            reproduce.onset(mnist=args.mnist, **kw)
        else:
            reproduce.EXPERIMENTS[args.name](**kw)
    except KeyboardInterrupt:
        again = " ".join(["netchaos", "reproduce", args.name, "--out", args.out]
                         + (["--quick"] if args.quick else []) + ["--seed", str(args.seed)])
        print(f"\nnetchaos reproduce {args.name}: interrupted. Finished experiments and every "
              f"finished sweep chunk are kept in {args.out!r}; continue with: {again} --resume",
              file=sys.stderr, flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _check_out(parser, out):
    """``--out`` must be a folder this process can write (created if missing)."""
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"--out {out!r} exists and is not a folder")
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        parser.error(f"--out {out!r} cannot be written: {exc.strerror or exc}")


def _cmd_list():
    from ..validation import CASES

    print("experiments (netchaos reproduce NAME):")
    for k, v in _EXPERIMENT_HELP.items():
        print(f"  {k:<14} {v}")
    print("\nvalidation cases (netchaos validate --case NAME):")
    for c in CASES:
        print(f"  {c.name:<30} {c.description}")
    return 0


def _cmd_app(parser, args):
    from .serve import serve

    try:
        return serve(args.target, port=args.port, ip=args.ip, token=args.token,
                     browser=args.browser)
    except ValueError as exc:
        parser.error(str(exc))


def main(argv=None):
    """Entry point of the ``netchaos`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 when validation fails, 2 on bad
        arguments (with argparse's message on stderr).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from .. import __version__

            print(f"netchaos {__version__}")
            return 0
        if args.command is None:
            parser.print_help()
            return 2
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "list":
            return _cmd_list()
        if args.command == "app":
            return _cmd_app(parser, args)
        import matplotlib

        matplotlib.use("Agg")
        return _cmd_reproduce(parser, args)
    except SystemExit as exc:          # argparse errors (2) and --help (0)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":  # pragma: no cover  (python -m netchaos.app.cli)
    sys.exit(main())
