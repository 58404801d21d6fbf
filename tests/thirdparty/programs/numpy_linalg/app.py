"""numpy: linear algebra through its bundled OpenBLAS (numpy.libs/, loaded by $ORIGIN run
paths), FFT, and a seeded random generator. Results are rounded (and -0.0 folded into 0.0) so
that the printed text is exact."""

import numpy as np


def show(label: str, value) -> None:
    print(label, (np.round(np.asarray(value, dtype=float), 6) + 0.0).tolist())


def main() -> None:
    a = np.array([[4.0, 1.0, 2.0], [1.0, 5.0, 3.0], [2.0, 3.0, 6.0]])
    b = np.array([1.0, 2.0, 3.0])
    x = np.linalg.solve(a, b)
    show("solve", x)
    print("residual ok", bool(np.allclose(a @ x, b)))
    show("det", np.linalg.det(a))
    show("inv", np.linalg.inv(a))
    values, vectors = np.linalg.eigh(a)  # symmetric: real, ascending eigenvalues
    show("eigh values", values)
    print("eigh reconstructs", bool(np.allclose(vectors @ np.diag(values) @ vectors.T, a)))
    general = np.array([[2.0, 0.0], [1.0, 3.0]])
    show("eig values sorted", np.sort(np.linalg.eig(general)[0].real))
    show("svd", np.linalg.svd(a, compute_uv=False))
    show("lstsq", np.linalg.lstsq(np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]),
                                  np.array([1.0, 2.0, 2.0]), rcond=None)[0])
    show("fft abs", np.abs(np.fft.fft([1.0, 2.0, 3.0, 4.0])))
    rng = np.random.default_rng(12345)
    print("rng", rng.integers(0, 100, size=6).tolist())
    print("dtype", np.arange(6, dtype=np.int32).reshape(2, 3).sum(axis=0).dtype)


if __name__ == "__main__":
    main()
