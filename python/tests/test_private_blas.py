"""rnnatlas's OpenBLAS is its own: in one process with numpy and torch it leaves theirs alone.

The C++ library links a private copy of OpenBLAS (CMakeLists.txt, symbols hidden in the module)
and sets it to one thread per product. Linked to the system's shared OpenBLAS instead, it would
share one instance with numpy and torch, and that call would silently change how many threads
their products use.
"""

import ast
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("threadpoolctl")
pytest.importorskip("torch")

SCRIPT = textwrap.dedent(
    """
    import torch, numpy, threadpoolctl
    threadpoolctl.threadpool_limits(limits=2, user_api="blas")
    before = [(p["filepath"], p["num_threads"]) for p in threadpoolctl.threadpool_info()
              if p["user_api"] == "blas"]
    import rnnatlas
    net = rnnatlas.Network("gru", 3, 16, 3, seed=0)
    summary = rnnatlas.train(net, rnnatlas.make_task("flip_flop", n_time=20), n_iterations=3,
                             n_batch=8, n_eval_batch=8)
    after = [(p["filepath"], p["num_threads"]) for p in threadpoolctl.threadpool_info()
             if p["user_api"] == "blas"]
    print(repr((before, after, summary.termination)))
    """
)


def test_training_leaves_the_thread_count_of_torchs_blas_alone():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    before, after, termination = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert before, "threadpoolctl found no BLAS loaded by numpy or torch"
    assert all(n == 2 for _, n in before), before
    assert after == before
    assert termination == "completed"
