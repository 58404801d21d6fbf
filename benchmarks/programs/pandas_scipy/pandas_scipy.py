"""A pandas + scipy script of the kind a data analysis starts with: a table of measurements,
a group-by summary, a pivot, and two significance tests.

The data comes from a seeded generator, so the output is the same every run; the table is
small, so what is measured is importing pandas and scipy.stats and their first calls (which
is what such a script pays on every start), not the arithmetic.
"""

import numpy as np
import pandas as pd
from scipy import stats

rng = np.random.default_rng(2024)
n = 600
frame = pd.DataFrame({
    "site": rng.choice(["north", "south", "east"], size=n),
    "treatment": rng.choice(["control", "dose"], size=n),
    "day": pd.date_range("2024-01-01", periods=n, freq="6h"),
})
effect = np.where(frame["treatment"] == "dose", 1.5, 0.0)
frame["response"] = 10 + effect + rng.normal(0, 2, size=n).round(3)

summary = (frame.groupby(["site", "treatment"])["response"]
           .agg(["count", "mean", "std"]).round(3))
print(summary.to_string())
print()
weekly = frame.set_index("day").resample("W")["response"].mean()
print(f"weeks {len(weekly)}, first {weekly.iloc[0]:.3f}, last {weekly.iloc[-1]:.3f}")
pivot = frame.pivot_table(index="site", columns="treatment", values="response", aggfunc="median")
print(pivot.round(3).to_string())
print()

control = frame.loc[frame["treatment"] == "control", "response"]
dose = frame.loc[frame["treatment"] == "dose", "response"]
t = stats.ttest_ind(dose, control, equal_var=False)
print(f"Welch t = {t.statistic:.3f}, p = {t.pvalue:.2e}")
groups = [g["response"].to_numpy() for _, g in frame.groupby("site")]
f = stats.f_oneway(*groups)
print(f"ANOVA over sites F = {f.statistic:.3f}, p = {f.pvalue:.3f}")
table = pd.crosstab(frame["site"], frame["treatment"])
chi2 = stats.chi2_contingency(table)
print(f"chi2 = {chi2.statistic:.3f}, dof = {chi2.dof}, p = {chi2.pvalue:.3f}")
