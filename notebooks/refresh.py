"""Rebuild the .ipynb of each notebook from its .py, storing only the checked outputs.

Usage (from the repository root, in the project's environment)::

    python notebooks/refresh.py                    # every notebook
    python notebooks/refresh.py notebooks/04_*.py  # some

For each percent-format script, the paired notebook is written by jupytext and executed
in a fresh kernel (the current Python). Cells marked ``# NBVAL_CHECK_OUTPUT`` keep their
executed output and execution count, which ``pytest --nbval-lax`` compares on every CI
run (nbval skips cells without an execution count); every other cell is stored without
output, so the repository holds no figures and diffs stay readable. The kernel's
``language_info`` is stored in the notebook's metadata, as JupyterLab stores it. The run fails when
any cell raises.
"""

import glob
import os
import queue
import sys

import jupytext
import nbformat
from jupyter_client.manager import start_new_kernel

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "NBVAL_CHECK_OUTPUT"
TIMEOUT = 600


def _run_cell(kc, source):
    """Execute ``source``; return its outputs as nbformat nodes and the execution count."""
    msg_id = kc.execute(source, store_history=True)
    outputs, count = [], None
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"no answer from the kernel within {TIMEOUT} s") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind == "execute_input":
            count = content["execution_count"]
        elif kind == "stream":
            if outputs and outputs[-1].get("name") == content["name"]:
                outputs[-1]["text"] += content["text"]
            else:
                outputs.append(nbformat.v4.new_output("stream", name=content["name"],
                                                      text=content["text"]))
        elif kind in ("display_data", "execute_result"):
            node = nbformat.v4.new_output(kind, data=content["data"],
                                          metadata=content.get("metadata", {}))
            if kind == "execute_result":
                node["execution_count"] = content["execution_count"]
            outputs.append(node)
        elif kind == "clear_output":
            outputs = []
        elif kind == "error":
            raise RuntimeError(f"cell failed:\n{source}\n{content['ename']}: {content['evalue']}")
    return outputs, count


def _language_info(kc):
    """The kernel's ``language_info``, which JupyterLab writes into a notebook it opens: stored
    in the notebook, it does not show as modified as soon as it is opened."""
    msg_id = kc.kernel_info()
    while True:
        msg = kc.get_shell_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]["language_info"]


def _keep_ids(nb, ipynb):
    """Give cells whose type and source are unchanged their id of the stored notebook, so that
    a refresh changes only what changed."""
    if not os.path.exists(ipynb):
        return
    old = {}
    for cell in nbformat.read(ipynb, as_version=4).cells:
        old.setdefault((cell.cell_type, cell.source), []).append(cell.get("id"))
    used = set()
    for cell in nb.cells:
        ids = old.get((cell.cell_type, cell.source)) or []
        if ids and ids[0] and ids[0] not in used:
            cell.id = ids.pop(0)
            used.add(cell.id)


def refresh(py_path):
    """Write ``py_path``'s notebook with the outputs of the checked cells only."""
    nb = jupytext.read(py_path)
    km, kc = start_new_kernel(kernel_name="python3", cwd=os.path.dirname(py_path))
    try:
        nb.metadata["language_info"] = _language_info(kc)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            outputs, count = _run_cell(kc, cell.source)
            if MARKER in cell.source:
                cell.outputs, cell.execution_count = outputs, count
            else:
                cell.outputs, cell.execution_count = [], None
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    ipynb = os.path.splitext(py_path)[0] + ".ipynb"
    _keep_ids(nb, ipynb)
    jupytext.write(nb, ipynb, fmt="ipynb")
    return ipynb


def main(argv):
    paths = argv or sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]_*.py")))
    for p in paths:
        print(f"{p} -> {refresh(os.path.abspath(p))}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
