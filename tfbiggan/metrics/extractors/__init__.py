"""Feature extractors by kind: the interface (`base`), Inception-v3 from a
local path (`inception`) and a dataset's own classifier (`classifier`)."""
from tfbiggan.metrics.extractors.base import FeatureExtractor, weights_digest
from tfbiggan.metrics.extractors.classifier import ClassifierExtractor
from tfbiggan.metrics.extractors.inception import (
    InceptionExtractor, missing_inception_message, resolve_inception_path)

__all__ = ["ClassifierExtractor", "FeatureExtractor", "InceptionExtractor",
           "missing_inception_message", "resolve_inception_path", "weights_digest"]
