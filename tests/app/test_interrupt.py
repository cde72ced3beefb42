"""Ctrl-C in ``netchaos reproduce`` keeps what was computed and ``--resume`` continues it to
the uninterrupted run's numbers; a bad ``--out`` is refused with a one-line message."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the command line, with the quick eos sweep made big enough (200 initial conditions per radius)
# for an interruption to land in its middle
SCRIPT = textwrap.dedent(
    """
    import sys
    from netchaos.app import cli
    from netchaos.app.reproduce import _run
    _run.QUICK["eos"]["n_init"] = 200
    sys.exit(cli.main(sys.argv[1:]))
    """
)
TIMING = ("wall_time_s", "peak_rss_mb")


def _as_in_a_terminal():
    # a command started in a terminal has Ctrl-C's default action; a test run started in the
    # background (``cmd &`` in a script) would pass SIGINT on ignored, and Python keeps an
    # ignored SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(out, *extra, **popen):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    args = [sys.executable, "-c", SCRIPT, "reproduce", "eos", "--quick", "--out", str(out),
            "--no-progress", "--quiet", *extra]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_as_in_a_terminal, **popen)


def _summary(out):
    with open(os.path.join(out, "eos", "summary.json"), encoding="utf-8") as fh:
        return {k: v for k, v in json.load(fh).items() if k not in TIMING}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_the_chunks_and_resume_gives_the_uninterrupted_numbers(tmp_path, sig):
    out = tmp_path / "run"
    chunks = out / "eos" / "checkpoints" / "eps"
    proc = _cli(out)
    try:
        deadline = time.monotonic() + 300
        while not (chunks.is_dir() and len([f for f in os.listdir(chunks)
                                            if f.startswith("chunk-")]) >= 2):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "--resume" in lines[0]
    kept = sorted(f for f in os.listdir(chunks) if f.startswith("chunk-"))
    assert 2 <= len(kept) < 7 and not (out / "eos" / "summary.json").exists()

    resumed = _cli(out, "--resume")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert not chunks.exists()                 # finished: the summary holds the results
    whole = _cli(tmp_path / "whole")
    _, err = whole.communicate(timeout=600)
    assert whole.returncode == 0, err
    assert _summary(out) == _summary(tmp_path / "whole")


def test_bad_out_is_refused_with_one_line(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    proc = _cli(a_file)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err
    assert "--out" in err and "is not a folder" in err
    proc = _cli("/proc/netchaos-out")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err and "cannot be written" in err
