"""The model's global view: how much each cause and each input moves scores, on a sample of rows.

Mean absolute contribution (log-odds) by reason family and by input, from the same exact
contributions the reasons use, and a summary figure: families as bars, and the strongest inputs
as one dot per household placed at its contribution and coloured by the input's value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from models.bundle import ModelBundle
from models.explain import Explanations, explain

SAMPLE_ROWS = 5_000
TOP_INPUTS = 15


def global_view(bundle: ModelBundle, rows: pd.DataFrame, seed: int,
                sample_rows: int = SAMPLE_ROWS) -> tuple[dict, Figure]:
    sample = rows.sample(n=min(sample_rows, len(rows)), random_state=seed) if len(rows) else rows
    explained = explain(bundle, sample)
    families = pd.Series(np.abs(explained.family_contributions).mean(axis=0), index=explained.families)
    inputs = pd.Series(np.abs(explained.contributions).mean(axis=0), index=explained.features)
    record = {"rows": len(sample), "base_value": explained.base,
              "mean_abs_contribution_by_family": families.sort_values(ascending=False).round(6).to_dict(),
              "mean_abs_contribution_by_input": inputs.sort_values(ascending=False).round(6).to_dict()}
    return record, summary_figure(explained, sample, families, inputs)


def summary_figure(explained: Explanations, sample: pd.DataFrame, families: pd.Series,
                   inputs: pd.Series) -> Figure:
    figure = Figure(figsize=(11, 6))
    FigureCanvasAgg(figure)
    bars, dots = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    ordered = families.sort_values()
    bars.barh(ordered.index, ordered.to_numpy(), color="#2c7fb8")
    bars.set_xlabel("mean |contribution| (log-odds)")
    bars.set_title("By cause (reason family)")
    strongest = inputs.sort_values(ascending=False).head(TOP_INPUTS).index[::-1]
    rng = np.random.default_rng(0)
    for position, name in enumerate(strongest):
        column = explained.features.index(name)
        values = pd.to_numeric(sample[name].astype(float), errors="coerce").to_numpy()
        colour = pd.Series(values).rank(pct=True).fillna(0.5).to_numpy()
        dots.scatter(explained.contributions[:, column], position + rng.uniform(-0.3, 0.3, len(values)),
                     c=colour, cmap="coolwarm", s=4, alpha=0.6, linewidths=0)
    dots.set_yticks(range(len(strongest)), list(strongest))
    dots.axvline(0, color="#7f7f7f", linewidth=0.8)
    dots.set_xlabel("contribution (log-odds); colour: the input, low (blue) to high (red)")
    dots.set_title(f"The {len(strongest)} strongest inputs, one dot per household")
    figure.tight_layout()
    return figure
