"""Sample-quality metrics for generative models, on precomputed activations.

The metric functions are pure NumPy (float64) and take feature/logit arrays;
TF-GAN's formulas are the reference (tensorflow-gan itself does not import on
TF >= 2.16). Feature extractors (`tfbiggan.metrics.extractors`: Inception-v3,
a dataset classifier) and reference statistics (`reference_stats`) need
TensorFlow; their names are re-exported here but imported only on first use.
Metrics never import a generator and never train anything.
"""
import importlib

from tfbiggan.metrics.fid import (fid_from_activations, fid_from_stats,
                                  gaussian_stats, trace_sqrt_product)
from tfbiggan.metrics.inception_score import inception_score_from_logits
from tfbiggan.metrics.intra_fid import intra_class_fid
from tfbiggan.metrics.kid import kid_from_activations
from tfbiggan.metrics.precision_recall import precision_recall_from_activations

_LAZY = {
    "FeatureExtractor": "tfbiggan.metrics.extractors",
    "InceptionExtractor": "tfbiggan.metrics.extractors",
    "ClassifierExtractor": "tfbiggan.metrics.extractors",
    "compute_reference_stats": "tfbiggan.metrics.reference_stats",
    "save_reference_stats": "tfbiggan.metrics.reference_stats",
    "load_reference_stats": "tfbiggan.metrics.reference_stats",
}

__all__ = [
    "fid_from_activations", "fid_from_stats", "gaussian_stats",
    "trace_sqrt_product", "inception_score_from_logits", "intra_class_fid",
    "kid_from_activations", "precision_recall_from_activations",
    *_LAZY,
]


def __getattr__(name):
    # Keeps `import tfbiggan.metrics` free of TensorFlow for array-only use.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
