"""matplotlib with the Agg backend: its fonts, style files and matplotlibrc are data files
in mpl-data/, read beside its package."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
ax.plot([0, 1, 2, 3], [1, 4, 2, 3], label="Linie ✓")
ax.set_title("Titel")
ax.legend()
buffer = io.BytesIO()
fig.savefig(buffer, format="png", metadata={"Software": None})
data = buffer.getvalue()
print("png", data[:8], len(data) > 1000)
font = matplotlib.font_manager.findfont("DejaVu Sans").rsplit("/", 1)[-1]
print("backend", matplotlib.get_backend(), "font", font)
print("style", "ggplot" in plt.style.available, matplotlib.rcParams["lines.linewidth"])
