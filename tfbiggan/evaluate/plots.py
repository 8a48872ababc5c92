"""Matplotlib figures of evaluation results, written as PNG files.

Inputs are the metrics dicts of `tfbiggan.evaluate.scoring` (one per
truncation), each with an "extractor" name; results of different extractors
are never drawn in one figure.
"""
import io

from tfbiggan.run.files import atomic_write


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=False)  # files only; no display needed
    import matplotlib.pyplot as plt
    return plt


def _single_extractor(results):
    names = {r.get("extractor") for r in results}
    if len(names) != 1:
        raise ValueError(
            f"The results come from several feature extractors {sorted(map(str, names))}; "
            "metrics of different extractors are not comparable and are not "
            "plotted together.")
    return names.pop()


def _save(fig, path):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return atomic_write(path, buffer.getvalue())


def plot_truncation_sweep(results, path, title=None, reference=None):
    """IS against FID across truncations, each point labelled with its t.

    Args:
      results: list of dicts with "truncation", "fid", "inception_score",
        "extractor", and optionally "accuracy", "precision", "recall".
      path: PNG file to write.
      title: figure title; default names the extractor.
      reference: optional dict with the real data's "inception_score" (and
        "accuracy"), drawn as dashed lines.

    With "accuracy" or "precision" present, a second panel shows them against
    the truncation. Returns `path`.
    """
    if not results:
        raise ValueError("No results to plot.")
    extractor = _single_extractor(results)
    plt = _pyplot()
    results = sorted(results, key=lambda r: (r["truncation"] is None,
                                             r["truncation"] or 0.0))
    extra = [k for k in ("accuracy", "precision", "recall") if k in results[0]]
    fig, axes = plt.subplots(1, 2 if extra else 1,
                             figsize=(11 if extra else 6, 4.5), squeeze=False)
    ax = axes[0, 0]
    fid = [r["fid"] for r in results]
    score = [r["inception_score"] for r in results]
    ax.plot(score, fid, "o-", color="tab:blue")
    for r, x, y in zip(results, score, fid):
        label = "none" if r["truncation"] is None else f"{r['truncation']:g}"
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4),
                    fontsize=8)
    if reference and "inception_score" in reference:
        ax.axvline(reference["inception_score"], color="gray", ls="--", lw=1,
                   label=f"real data IS {reference['inception_score']:.2f}")
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("Inception Score (higher: sharper, more class-confident)")
    ax.set_ylabel("FID (lower: closer to the data)")
    ax.set_title("IS vs FID across truncations (labels: t)")
    ax.grid(alpha=0.3)

    if extra:
        ax2 = axes[0, 1]
        with_t = [r for r in results if r["truncation"] is not None]
        ts = [r["truncation"] for r in with_t]
        for key in extra:
            ax2.plot(ts, [r[key] for r in with_t], "o-", label=key)
        if reference and "accuracy" in reference and "accuracy" in extra:
            ax2.axhline(reference["accuracy"], color="gray", ls="--", lw=1,
                        label="real data accuracy")
        ax2.set_xlabel("truncation t")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_title("class accuracy / precision / recall")
        ax2.legend(loc="best", fontsize=8)
        ax2.grid(alpha=0.3)
    fig.suptitle(title or f"Truncation sweep ({extractor})", fontsize=10)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
