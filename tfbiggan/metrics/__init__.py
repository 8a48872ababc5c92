"""Sample-quality metrics for generative models, on precomputed activations.

The metric functions are pure NumPy (float64) and take feature/logit arrays;
TF-GAN's formulas are the reference (tensorflow-gan itself does not import on
TF >= 2.16). Feature extractors (Inception-v3, a small classifier) and the
reference-statistics cache live in `tfbiggan.metrics.extractors`, which needs
TensorFlow; its names are re-exported here but imported only on first use.
"""
import importlib

from tfbiggan.metrics.fid import (fid_from_activations, fid_from_stats,
                                  gaussian_stats, trace_sqrt_product)
from tfbiggan.metrics.inception_score import inception_score_from_logits
from tfbiggan.metrics.intra_fid import intra_class_fid
from tfbiggan.metrics.kid import kid_from_activations
from tfbiggan.metrics.precision_recall import precision_recall_from_activations

_EXTRACTOR_NAMES = (
    "FeatureExtractor", "InceptionExtractor", "ClassifierExtractor",
    "build_small_classifier", "train_classifier", "classifier_accuracy",
    "compute_reference_stats", "save_reference_stats", "load_reference_stats",
)

__all__ = [
    "fid_from_activations", "fid_from_stats", "gaussian_stats",
    "trace_sqrt_product", "inception_score_from_logits", "intra_class_fid",
    "kid_from_activations", "precision_recall_from_activations",
    *_EXTRACTOR_NAMES,
]


def __getattr__(name):
    # Keeps `import tfbiggan.metrics` free of TensorFlow for array-only use.
    if name in _EXTRACTOR_NAMES:
        module = importlib.import_module("tfbiggan.metrics.extractors")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
