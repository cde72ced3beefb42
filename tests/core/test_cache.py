"""A read-only install imports and caches its kernels in the user's cache directory."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def _read_only_mount_works(tmp_path):
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("unshare") is None:
        return False
    cmd = f"mount --bind -o ro {probe} {probe} && ! touch {probe}/x 2>/dev/null"
    return subprocess.run(["unshare", "-m", "sh", "-c", cmd], capture_output=True).returncode == 0


def test_read_only_install_caches_in_the_user_cache_directory(tmp_path):
    if not _read_only_mount_works(tmp_path):
        pytest.skip("needs unshare and a read-only bind mount (root on Linux)")
    site = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "netchaos"), site / "netchaos",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    home = tmp_path / "home"
    home.mkdir()
    script = textwrap.dedent(
        f"""
        import os
        import numpy as np
        import netchaos, netchaos.core as core
        from netchaos.core.elementwise import exp_row
        assert netchaos.__file__.startswith({str(site)!r}), netchaos.__file__
        x = np.linspace(-1.0, 1.0, 7)
        out, tf = np.empty(7), np.empty(7)
        exp_row(x, out, tf, tf.view(np.int64))          # compiles and caches one kernel
        assert np.allclose(out, np.exp(x))
        print(core.CACHE_DIR)
        print(sorted(f for _, _, fs in os.walk(core.CACHE_DIR) for f in fs if f.endswith(".nbi")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(HOME=str(home), PYTHONPATH=str(site))
    cmd = (f"mount --bind -o ro {site} {site} && exec {sys.executable} -c \"$SCRIPT\"")
    out = subprocess.run(["unshare", "-m", "sh", "-c", cmd], env=dict(env, SCRIPT=script),
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    cache_dir, files = out.stdout.splitlines()[-2:]
    assert cache_dir == str(home / ".cache" / "netchaos" / "numba")
    assert any("exp_row" in f for f in eval(files))
    assert not any(d == "__pycache__" for _, ds, _ in os.walk(site / "netchaos") for d in ds)
