"""joblib's default (loky) backend, as scikit-learn's n_jobs uses it: loky starts its
resource tracker as `sys.executable -B -S -I -c "from joblib.externals.loky... import
main; main(...)"` and its workers as `sys.executable -m joblib.externals.loky.backend.
popen_loky_posix ...`. The binary must serve those as python would; run as the program, each
child would start the program's work again (and more children, without end)."""

import math

from joblib import Parallel, delayed


def square(x: int) -> int:
    return x * x


if __name__ == "__main__":
    print("loky", Parallel(n_jobs=2)(delayed(square)(i) for i in range(6)))
    print("sqrt", Parallel(n_jobs=2)(delayed(math.sqrt)(i) for i in (4, 9, 16)))
    print("processes", Parallel(n_jobs=2, backend="multiprocessing")(
        delayed(square)(i) for i in range(3)))
