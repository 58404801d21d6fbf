"""A numpy script: a little linear algebra and statistics on a fixed pseudo-random matrix.

Seeded, so the output is the same every run; small, so the time measured is numpy's import
and start-up (which dominates such scripts), not the arithmetic.
"""

import numpy as np

rng = np.random.default_rng(12345)
a = rng.standard_normal((200, 200))
b = a @ a.T + 200 * np.eye(200)
x = np.linalg.solve(b, np.ones(200))
print(f"mean {a.mean():+.6f}  std {a.std():.6f}")
print(f"solve residual {np.linalg.norm(b @ x - 1):.2e}")
print(f"largest eigenvalue {np.linalg.eigvalsh(b)[-1]:.3f}")
