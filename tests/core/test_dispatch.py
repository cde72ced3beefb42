"""The kernels hand their flags to one another as values, never as constants.

Numba compiles a function once more for every constant argument it is called with from
another kernel (its type is then ``Literal[bool](True)``, not ``bool``: literal dispatch).
A constant ``True`` in one call would compile a whole chain of kernels a second time, on
the first SGD run, the first run with test metrics or the first spectrum of a session.
(Constant integers are allowed: the tangent kernels take their 4 lanes as a constant.)
"""

import ast
import glob
import os

CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "netchaos", "core")


#: constants that select code at compile time, each with its reason
CHOSEN = {
    # the lane-parallel paths never take the matrix-product kernel: the constant prunes it
    ("run_blocks", "run_block"), ("eval_blocks", "eval_block"),
    # a variant of its own anyway (4 lanes, a constant), without the accuracy
    ("hvp_lanes", "head_lanes"),
}


def _is_njit(fn):
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Name) and target.id == "njit":
            return True
    return False


def _kernels():
    trees = {p: ast.parse(open(p).read(), p) for p in sorted(glob.glob(os.path.join(CORE,
                                                                                  "*.py")))}
    funcs = {p: [n for n in t.body if isinstance(n, ast.FunctionDef) and _is_njit(n)]
             for p, t in trees.items()}
    return funcs, {f.name for fs in funcs.values() for f in fs}


def test_the_kernel_sources_are_found():
    funcs, names = _kernels()
    assert {"loss_grad_lanes", "loss_grad_columns", "run_block", "hvp_blocks",
            "tangent_qr_run"} <= names
    assert sum(len(f) for f in funcs.values()) > 40


def test_no_kernel_calls_another_with_a_constant_flag():
    funcs, names = _kernels()
    calls, constant = 0, []
    for path, fs in funcs.items():
        for fn in fs:
            for node in ast.walk(fn):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in names):
                    continue
                calls += 1
                for a in [*node.args, *(k.value for k in node.keywords)]:
                    if (isinstance(a, ast.Constant) and isinstance(a.value, bool)
                            and (fn.name, node.func.id) not in CHOSEN):
                        constant.append(f"{os.path.basename(path)}:{node.lineno} "
                                        f"{fn.name} -> {node.func.id}({a.value})")
    assert calls > 50
    assert constant == [], "\n".join(constant)
