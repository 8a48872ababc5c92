"""The evaluation hook the training loop calls every ``--eval_every`` steps."""
import logging
import time

import tensorflow as tf

from tfbiggan.evaluate.extractors import is_classifier_extractor, resolve_extractor
from tfbiggan.evaluate.generate import GeneratorRunner, generate_images
from tfbiggan.evaluate.references import get_reference_stats
from tfbiggan.evaluate.scoring import MIN_EVAL_SAMPLES, metrics_from_outputs
from tfbiggan.models import (STANDING_BATCH_SIZE, STANDING_BATCHES, Generator,
                             accumulate_standing_stats)
from tfbiggan.truncation import check_truncation, grid_indices

log = logging.getLogger(__name__)


class TrainingEvaluator:
    """What `make_training_eval_hook` returns: ``evaluator(step, ema_generator)
    -> dict[str, float]``.

    Keys: "fid", "inception_score", "inception_score_std", "kid", "kid_std",
    "precision", "recall", and "accuracy" for classifier extractors. Only
    floats, so the loop can write each as a scalar summary. The extractor's
    identity is the attribute `extractor_name` (also in the reference-stats
    file and in each log line); `history` keeps (step, results) pairs.

    The generator passed in is never modified: with truncation=None it is run
    in inference mode with its moving averages; with a float truncation its
    weights are copied into a private generator, whose standing statistics are
    refreshed at the grid points that truncation needs before sampling.
    """

    def __init__(self, model_config, extractor, reference, reference_path,
                 num_samples, truncation, seed, batch_size=100,
                 standing_batches=STANDING_BATCHES,
                 standing_batch_size=STANDING_BATCH_SIZE):
        self.model_config = model_config
        self.extractor = extractor
        self.extractor_name = extractor.name
        self.reference = reference
        self.reference_path = reference_path
        self.num_samples = int(num_samples)
        self.truncation = check_truncation(truncation)
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.standing_batches = int(standing_batches)
        self.standing_batch_size = int(standing_batch_size)
        # Class agreement needs a conditional generator.
        self.classifier = is_classifier_extractor(extractor) and model_config.num_classes > 1
        self.history = []
        self._runners = {}
        self._copy = None

    def _runner(self, generator):
        key = id(generator)
        if key not in self._runners:
            self._runners = {key: GeneratorRunner(generator)}
        return self._runners[key]

    def _standing_copy(self, generator):
        if self._copy is None:
            self._copy = Generator(self.model_config)
            self._copy.build()
        if len(self._copy.weights) != len(generator.weights):
            raise ValueError("The generator does not match the hook's model_config.")
        for dst, src in zip(self._copy.weights, generator.weights):
            if tuple(dst.shape) != tuple(src.shape):
                raise ValueError(
                    f"Generator variable {src.path} has shape {src.shape}, the "
                    f"hook's model_config builds {dst.shape}.")
            dst.assign(tf.convert_to_tensor(src))
        accumulate_standing_stats(
            self._copy, num_batches=self.standing_batches,
            batch_size=self.standing_batch_size, seed=self.seed,
            grid_indices=grid_indices(self.truncation))
        # Only the grid points of this hook's truncation are filled, and the
        # private copy is never used at any other truncation.
        self._copy.standing_ready.assign(1.0)
        return self._copy

    def __call__(self, step, generator):
        start = time.time()
        model = generator if self.truncation is None else self._standing_copy(generator)
        images, labels = generate_images(model, self.num_samples, self.truncation,
                                         self.batch_size, self.seed,
                                         runner=self._runner(model))
        results = metrics_from_outputs(self.extractor(images), labels,
                                       self.reference, self.extractor_name,
                                       classifier=self.classifier)
        results.pop("extractor")
        results["num_samples"] = float(results["num_samples"])
        self.history.append((int(step), dict(results)))
        log.info("eval step %d [extractor=%s, truncation=%s, %d samples, %.1fs]: %s",
                 int(step), self.extractor_name, self.truncation, self.num_samples,
                 time.time() - start,
                 " ".join(f"{k}={v:.4g}" for k, v in sorted(results.items())))
        return results


def make_training_eval_hook(model_config, dataset, data_dir, extractor,
                            num_samples, truncation, cache_dir, seed):
    """The training loop's evaluation callback.

    Args:
      model_config: the run's BigGANConfig (resolution, classes).
      dataset: dataset name for the reference statistics (e.g. "digits").
      data_dir: passed to the dataset loader (may be None).
      extractor: an extractor spec ("auto", "classifier:PATH",
        "inception[:PATH]") or an extractor object; resolved now (the digits
        classifier is trained here if it is not cached).
      num_samples: generated images per evaluation (>= MIN_EVAL_SAMPLES).
      truncation: None (z ~ N(0, 1), moving averages) or a float in [0, 1]
        (standing statistics refreshed for it on a private copy).
      cache_dir: where classifiers and reference statistics are cached
        (None: $TFBIGGAN_CACHE_DIR or ~/.cache/tfbiggan).
      seed: fixes classes and latents, so evaluations differ only by weights.

    Returns:
      a `TrainingEvaluator`: ``hook(step, ema_generator) -> dict[str, float]``
      with "fid", "inception_score", "kid" (and their "_std"), "precision",
      "recall", and "accuracy" for classifier extractors; `hook.extractor_name`
      names the extractor (it is logged with every evaluation).
    """
    if int(num_samples) < MIN_EVAL_SAMPLES:
        raise ValueError(f"num_samples must be >= {MIN_EVAL_SAMPLES}, got {num_samples}.")
    resolution = model_config.resolution
    extractor = resolve_extractor(extractor, dataset, resolution, cache_dir)
    reference, path = get_reference_stats(extractor, dataset, resolution, cache_dir,
                                          data_dir=data_dir)
    return TrainingEvaluator(model_config, extractor, reference, path, num_samples,
                             truncation, seed)
