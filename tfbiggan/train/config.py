"""The frozen training configuration that flags are turned into.

Nothing below ``tfbiggan.train.main`` reads flags: builders take a TrainConfig
(or plain arguments). A TrainConfig checks itself once, when it is made
(ConfigError with one clear message); ``check_replicas`` adds the one check
that needs the strategy. ``to_dict()`` is what ``model_config.json`` records.

The settings of one model family live in its ``schedule`` group
(``tfbiggan.train.schedules``), and its registry entry
(``tfbiggan.families``) says which shared settings do not apply to it; this
module names no family.
"""
import dataclasses
import math
from typing import Optional

from tfbiggan.data.pipeline import DataSpec
from tfbiggan.errors import InputError
from tfbiggan.evaluate.scoring import MIN_EVAL_SAMPLES
from tfbiggan.families import FAMILIES
from tfbiggan.losses import LOSSES
from tfbiggan.settings import setting

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
PRECISIONS = ("float32", "bfloat16", "float16")
OPTIMIZERS = ("adam", "rmsprop")


class ConfigError(InputError):
    """Unknown or inconsistent training settings."""


def _numbers(settings):
    """(flag name, value) of every float setting of a settings dataclass, lists
    and the schedule group included."""
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if field.name == "schedule":
            yield from _numbers(value)
            continue
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if isinstance(v, float):
                yield field.name, v


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides the model directory.

    Batch sizes: ``batch_size`` is the global batch of one optimizer step; it
    is split over ``num_accumulations`` micro-batches and, within each, over
    the replicas (``batch_size % (num_accumulations * replicas) == 0``).
    Steps count generator updates; each makes ``d_steps`` D updates first.
    The defaults are the paper's biggan-128 ImageNet recipe (Brock et al.
    2019, Sec. 4 and App. C: batch 2048, Adam(0, 0.999, 1e-6), G 5e-5 / D
    2e-4, 2 D steps, orthogonal regularisation 1e-4, EMA 0.9999 from step
    20k), with every GAN-lineage option off. Recipes are flagfiles:
    ``configs/digits.flags`` is the CPU demo, ``configs/{128,256,512,deep128,
    deep256,deep512}.flags`` the ImageNet models.

    ``schedule`` is the model family's settings group (None: its defaults).
    With a growing family (Progressive GAN, ``configs/progan_digits.flags``)
    the run's length is the schedule's: ``num_steps`` 0 is replaced by it.
    ``preset`` and ``model_dir`` only record where the run came from and
    where it is written.
    """
    model: object  # a config of a registered family (tfbiggan.families)
    data: DataSpec = DataSpec()
    schedule: object = None
    preset: Optional[str] = setting(None, "Model preset (default biggan-128).")
    model_dir: Optional[str] = setting(None, "Run directory (default runs/<preset>).")
    # Distribution and numerics.
    strategy: str = setting("default", "tf.distribute strategy.", choices=STRATEGIES)
    tpu: str = setting("", "TPU name/address for TPUClusterResolver.")
    precision: str = setting("float32", "Compute dtype; float16 adds dynamic loss scaling.",
                             choices=PRECISIONS)
    jit_compile: bool = setting(False, "XLA-compile the replica steps.")
    seed: int = setting(0, "Seed of init, noise, shuffling and grids.")
    deterministic: bool = setting(False, "Deterministic ops (slower; for bitwise resumes).")
    # Optimisation.
    batch_size: int = setting(2048, "Global batch per optimizer step.")
    num_accumulations: int = setting(1, "Micro-batches per step.")
    num_steps: int = setting(150_000, "G steps to train.")
    d_steps: int = setting(2, "D steps per G step.")
    g_lr: float = setting(5e-5, "Generator learning rate.")
    d_lr: float = setting(2e-4, "Discriminator learning rate.")
    beta1: float = setting(0.0, "Adam beta1.")
    beta2: float = setting(0.999, "Adam beta2.")
    adam_epsilon: float = setting(1e-6, "Adam epsilon.")
    loss: str = setting("hinge", f"One of {', '.join(sorted(LOSSES))}.")
    ortho_reg: float = setting(1e-4, "Orthogonal regularisation beta (G).")
    ema_decay: float = setting(0.9999, "EMA decay of G weights.")
    ema_start: int = setting(20_000, "Step at which EMA averaging starts.")
    # State and outputs.
    save_every: int = setting(2000, "Checkpoint every N steps (0: end only).")
    keep_checkpoints: int = setting(5, "Checkpoints kept.")
    checkpoint_data_iterator: bool = setting(
        True, "Save the input iterator (default/mirrored only).")
    log_every: int = setting(100, "Console/TensorBoard every N steps.")
    sample_every: int = setting(2000, "Sample grid every N steps (0: end).")
    grid_columns: int = setting(8, "Samples per class row.")
    grid_rows: int = setting(10, "Class rows (at most num_classes).")
    standing_batches: int = setting(
        4, "Batches per truncation for the final standing statistics (0: none; compute "
           "them later with `python -m tfbiggan.evaluate standing`).")
    standing_batch_size: int = setting(64, "Batch for standing stats.")
    # Evaluation hook (tfbiggan.evaluate.hook).
    eval_every: int = setting(0, "Evaluate every N steps and at the end (0: never).")
    eval_num_samples: int = setting(10_000, "Samples per evaluation.")
    eval_extractor: str = setting(
        "auto", "Feature extractor for eval: auto, classifier:PATH, inception[:PATH].")
    eval_cache_dir: Optional[str] = setting(
        None, "Cache of the dataset classifier and reference statistics, shared by runs; "
              "default $TFBIGGAN_CACHE_DIR or ~/.cache/tfbiggan.")
    # The GAN lineage (tfbiggan.train.objectives); every default is "off".
    optimizer: str = setting("adam", "adam, or rmsprop (WGAN with weight clipping).",
                             choices=OPTIMIZERS)
    real_target: float = setting(
        1.0, "One-sided label smoothing: D's target for real images (0.9 in Salimans et "
             "al. 2016); non_saturating, minimax, lsgan.")
    d_weight_clip: float = setting(
        0.0, "WGAN: clip D's weights to [-c, c] after each update (0: off).")
    gp_weight: float = setting(
        0.0, "WGAN-GP: gradient penalty weight lambda (paper: 10; 0: off).")
    r1_gamma: float = setting(0.0, "R1 penalty gamma (0: off).")
    r1_interval: int = setting(1, "Lazy R1: apply every N steps with gamma * N.")
    g_sigma_reg: float = setting(
        0.0, "BigGAN: weight of (sigma_0 - target)^2 on G's weights (0: off).")
    g_sigma_target: float = setting(0.0, "... towards this fixed sigma_reg.")
    g_sigma_ratio: float = setting(0.0, "... or towards r * sg(sigma_1) with this r.")
    g_sigma_clamp: float = setting(
        0.0, "BigGAN: clamp sigma_0 of G's weights at this value after each update "
             "(0: off).")
    g_sigma_clamp_ratio: float = setting(0.0, "... or at r * sigma_1 with this r.")
    feature_matching: float = setting(
        0.0, "Weight of the feature-matching G loss (0: off).")
    g_loss_weight: float = setting(
        1.0, "Weight of G's adversarial loss; 0 with --feature_matching is Salimans et "
             "al.'s feature-matching objective alone.")
    historical_averaging: float = setting(
        0.0, "Weight of the historical-averaging penalty on G and D (0: off).")
    virtual_batch_norm: int = setting(
        0, "Virtual batch norm in G with a reference batch of this size (0: off).")
    singular_values_every: int = setting(
        0, "Log the top-3 singular values of every G and D weight every N steps (0: off).")

    def __post_init__(self):
        try:
            family = FAMILIES.of(self.model)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        schedule_class = family.load_schedule()
        if self.schedule is None:
            object.__setattr__(self, "schedule", schedule_class())
        if not isinstance(self.schedule, schedule_class):
            raise ConfigError(
                f"{type(self.schedule).__name__} settings do not apply to {family.title} "
                f"(preset architecture {self.model.architecture!r}), whose settings are "
                f"{schedule_class.__name__}; see {family.recipe or 'its presets'}.")
        self._validate()

    @property
    def family(self):
        """The model's registry entry (``tfbiggan.families.Family``)."""
        return FAMILIES.of(self.model)

    def level_batches(self):
        """The global batch of each stage of the run ((batch_size,) for one)."""
        return self.schedule.level_batches(self)

    def micro_batch(self):
        """Global batch of one accumulation micro-step: the unit the data
        comes in (for a growing schedule, the gcd of the level batches)."""
        return self.schedule.micro_batch(self)

    def _validate(self):
        """Raises ConfigError on the first bad or inconsistent setting."""
        def need(ok, message):
            if not ok:
                raise ConfigError(message)
        for name, value in _numbers(self):
            need(math.isfinite(value), f"--{name}={value}: give a finite number.")
        need(self.optimizer in OPTIMIZERS,
             f"--optimizer={self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
        need(self.strategy in STRATEGIES,
             f"--strategy={self.strategy!r}: choose one of {', '.join(STRATEGIES)}.")
        need(not self.tpu or self.strategy == "tpu",
             f"--tpu={self.tpu!r} names a TPU, but --strategy={self.strategy}; pass "
             "--strategy=tpu, or leave --tpu out.")
        need(self.precision in PRECISIONS,
             f"--precision={self.precision!r}: choose one of {', '.join(PRECISIONS)}.")
        need(self.loss in LOSSES,
             f"--loss={self.loss!r}: choose one of {', '.join(sorted(LOSSES))}.")
        self.data.validate(need)
        for name in ("batch_size", "num_accumulations", "d_steps",
                     "grid_columns", "grid_rows", "standing_batch_size",
                     "keep_checkpoints") + (
                         () if self.schedule.fixes_num_steps else ("num_steps",)):
            need(getattr(self, name) >= 1, f"--{name} must be >= 1, got "
                                           f"{getattr(self, name)}.")
        for name in ("save_every", "log_every", "sample_every", "eval_every",
                     "ema_start", "standing_batches"):
            need(getattr(self, name) >= 0, f"--{name} must be >= 0, got "
                                           f"{getattr(self, name)}.")
        need(self.standing_batch_size >= 2 or not self.standing_batches,
             f"--standing_batch_size={self.standing_batch_size}: batch statistics need "
             "at least 2 samples per batch (or --standing_batches=0 for none).")
        need(0 <= self.seed < 2 ** 31, f"--seed must be in [0, 2^31), got {self.seed}.")
        self._validate_optimisation(need)
        need(self.eval_num_samples >= MIN_EVAL_SAMPLES,
             f"--eval_num_samples must be >= {MIN_EVAL_SAMPLES}, got "
             f"{self.eval_num_samples}.")
        kind = self.eval_extractor.partition(":")[0]
        need(kind in ("auto", "classifier", "inception") and (
                 kind != "classifier" or self.eval_extractor.partition(":")[2]),
             f"--eval_extractor={self.eval_extractor!r}: use auto, classifier:PATH or "
             "inception[:PATH].")
        self._validate_lineage(need)
        need(self.strategy != "tpu" or self.precision != "float16",
             "--precision=float16 is not supported on TPU; use bfloat16.")
        self._validate_family(need)
        self.check_replicas(1)

    def _validate_optimisation(self, need):
        for name in ("g_lr", "d_lr"):
            need(getattr(self, name) > 0,
                 f"--{name} must be > 0, got {getattr(self, name)}.")
        for name in ("beta1", "beta2"):
            need(0.0 <= getattr(self, name) < 1.0,
                 f"--{name} must be in [0, 1) (Adam's moment decay), got "
                 f"{getattr(self, name)}.")
        need(self.adam_epsilon > 0, f"--adam_epsilon must be > 0, got {self.adam_epsilon}.")
        need(0.0 <= self.ema_decay < 1.0, f"--ema_decay must be in [0, 1), got "
                                          f"{self.ema_decay}.")
        need(self.ortho_reg >= 0, f"--ortho_reg must be >= 0, got {self.ortho_reg}.")

    def _validate_family(self, need):
        family = self.family
        for name, off in family.not_applicable.items():
            need(getattr(self, name) == off,
                 f"--{name}={getattr(self, name)!r} does not apply to {family.title}; "
                 f"set --{name}={off}"
                 + (f", or start from --flagfile={family.recipe}." if family.recipe else "."))
        self.schedule.validate(self, need)
        if self.schedule.fixes_num_steps:
            steps = self.schedule.num_steps(self)
            need(self.num_steps in (0, steps),
                 f"num_steps={self.num_steps}: a {family.title} run's length is set by "
                 f"its schedule (this schedule takes {steps} steps); pass 0 for that.")
            object.__setattr__(self, "num_steps", steps)

    def _validate_lineage(self, need):
        for name in ("d_weight_clip", "gp_weight", "r1_gamma", "g_sigma_reg",
                     "g_sigma_target", "g_sigma_ratio", "g_sigma_clamp",
                     "g_sigma_clamp_ratio", "feature_matching", "g_loss_weight",
                     "historical_averaging",
                     "virtual_batch_norm", "singular_values_every"):
            need(getattr(self, name) >= 0, f"--{name} must be >= 0.")
        need(self.r1_interval >= 1, f"--r1_interval must be >= 1, got {self.r1_interval}.")
        need(0.0 < self.real_target <= 1.0,
             f"--real_target must be in (0, 1], got {self.real_target}.")
        need(self.real_target == 1.0 or self.loss in ("non_saturating", "minimax", "lsgan"),
             f"--real_target={self.real_target} (one-sided label smoothing) needs a loss "
             f"with real labels: non_saturating, minimax or lsgan, not {self.loss!r}.")
        need(not self.g_sigma_reg or bool(self.g_sigma_target) != bool(self.g_sigma_ratio),
             "--g_sigma_reg needs exactly one of --g_sigma_target (a fixed sigma_0) and "
             "--g_sigma_ratio (r times sigma_1).")
        need(self.g_loss_weight > 0 or self.feature_matching > 0,
             "--g_loss_weight=0 leaves G without an objective; use it with "
             "--feature_matching.")
        need(not (self.g_sigma_clamp and self.g_sigma_clamp_ratio),
             "Give one of --g_sigma_clamp and --g_sigma_clamp_ratio, not both.")

    def check_replicas(self, num_replicas):
        """ConfigError unless the batch splits over accumulations x replicas."""
        problem = self.schedule.check_replicas(self, num_replicas)
        if problem:
            raise ConfigError(problem)

    def to_dict(self):
        return dataclasses.asdict(self)
