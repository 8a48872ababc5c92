"""The evaluation hook the training loop calls every ``--eval_every`` steps."""
import logging
import time

from tfbiggan.evaluate.extractors import is_classifier_extractor, resolve_extractor
from tfbiggan.evaluate.generate import EVAL_BATCH_SIZE, GeneratorRunner, generate_images
from tfbiggan.evaluate.references import get_reference_stats
from tfbiggan.evaluate.scoring import MIN_EVAL_SAMPLES, metrics_from_outputs

log = logging.getLogger(__name__)


class TrainingEvaluator:
    """What `make_training_eval_hook` returns: ``evaluator(step, ema_generator)
    -> dict[str, float]``.

    Keys: "fid", "inception_score", "inception_score_std", "kid", "kid_std",
    "precision", "recall", and "accuracy" for classifier extractors. Only
    floats, so the loop can write each as a scalar summary. The extractor's
    identity is the attribute `extractor_name` (also in the reference-stats
    file and in each log line); `history` keeps (step, results) pairs.

    The generator passed in is run in inference mode on z ~ N(0, 1) with its
    moving averages (no truncation: during training there are no standing
    statistics), and never modified.
    """

    def __init__(self, model_config, extractor, reference, reference_path,
                 num_samples, seed, batch_size=EVAL_BATCH_SIZE):
        self.model_config = model_config
        self.extractor = extractor
        self.extractor_name = extractor.name
        self.reference = reference
        self.reference_path = reference_path
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        # Class agreement needs a conditional generator.
        self.classifier = is_classifier_extractor(extractor) and model_config.num_classes > 1
        self.history = []
        self._runners = {}

    def _runner(self, generator):
        key = id(generator)
        if key not in self._runners:
            self._runners = {key: GeneratorRunner(generator)}
        return self._runners[key]

    def __call__(self, step, generator):
        start = time.time()
        images, labels = generate_images(generator, self.num_samples, None,
                                         self.batch_size, self.seed,
                                         runner=self._runner(generator))
        results = metrics_from_outputs(self.extractor(images), labels,
                                       self.reference, self.extractor_name,
                                       classifier=self.classifier)
        results.pop("extractor")
        results["num_samples"] = float(results["num_samples"])
        self.history.append((int(step), dict(results)))
        log.info("eval step %d [extractor=%s, %d samples, %.1fs]: %s",
                 int(step), self.extractor_name, self.num_samples,
                 time.time() - start,
                 " ".join(f"{k}={v:.4g}" for k, v in sorted(results.items())))
        return results


def make_training_eval_hook(model_config, dataset, data_dir, extractor,
                            num_samples, cache_dir, seed):
    """The training loop's evaluation callback.

    Args:
      model_config: the run's model config (resolution, classes).
      dataset: dataset name for the reference statistics (e.g. "digits").
      data_dir: passed to the dataset loader (may be None).
      extractor: an extractor spec ("auto", "classifier:PATH",
        "inception[:PATH]") or an extractor object; resolved now (the digits
        classifier is trained here if it is not cached).
      num_samples: generated images per evaluation (>= MIN_EVAL_SAMPLES).
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
    return TrainingEvaluator(model_config, extractor, reference, path, num_samples, seed)
