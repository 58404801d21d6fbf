"""pandas + scipy + scikit-learn: a frame, statistics, a fitted model (scipy's libgfortran
finds libquadmath through the extension's inherited DT_RPATH; sklearn imports timeit, scipy
imports pydoc)."""

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(7)
frame = pd.DataFrame({"x": np.arange(20, dtype=float), "g": list("ab") * 10})
frame["y"] = 3.0 * frame["x"] + 2.0 + rng.normal(0, 0.01, 20).round(6)
print(frame.groupby("g")["y"].agg(["count", "mean"]).round(3).to_string())
print("describe", frame["x"].describe().round(3).to_dict())
fit = LinearRegression().fit(frame[["x"]], frame["y"])
print("coef", round(float(fit.coef_[0]), 3), round(float(fit.intercept_), 2))
print("scaled", StandardScaler().fit_transform([[1.0], [2.0], [3.0]]).round(4).ravel().tolist())
print("ttest", round(float(stats.ttest_ind([1, 2, 3, 4], [2, 3, 4, 5]).pvalue), 4))
print("root", round(float(optimize.brentq(lambda v: v**3 - 2, 0, 2)), 6))
print("csv", frame.head(3).to_csv(index=False).strip().replace("\n", " | "))
