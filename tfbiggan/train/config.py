"""The frozen training configuration that flags are turned into.

Nothing below ``tfbiggan.train.main`` reads flags: builders take a TrainConfig
(or plain arguments). A TrainConfig checks itself once, when it is made
(ConfigError with one clear message); ``check_replicas`` adds the one check
that needs the strategy. ``to_dict()`` is what ``model_config.json`` records.
"""
import dataclasses
import math
from typing import Optional

from tfbiggan.data.pipeline import DATASETS, DataSpec
from tfbiggan.errors import InputError
from tfbiggan.evaluate.scoring import MIN_EVAL_SAMPLES
from tfbiggan.losses import LOSSES
from tfbiggan.models.families import is_progan
from tfbiggan.train.progressive import GrowthSchedule

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
PRECISIONS = ("float32", "bfloat16", "float16")
OPTIMIZERS = ("adam", "rmsprop")


class ConfigError(InputError):
    """Unknown or inconsistent training settings."""


def _numbers(config):
    """(flag name, value) of every float setting of ``config``, lists included."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
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
    The defaults are the CPU digits demo (``configs/digits.flags``); the
    ImageNet recipes are in ``configs/{128,256,512,deep128,deep256,deep512}``.

    With a ProGANConfig as ``model`` (``configs/progan_digits.flags``) the run
    grows by ``growth_schedule()``: ``num_steps`` is the schedule's step count
    (``GrowthSchedule.steps``; 0 is replaced by it), ``batch_size`` is the
    batch of every level without an entry in ``level_batch_sizes``, and the
    data comes in units of ``micro_batch()`` images (the gcd of the level
    batches), several per step.
    """
    model: object  # BigGANConfig or ProGANConfig (tfbiggan.models.families)
    data: DataSpec = DataSpec()
    strategy: str = "default"
    tpu: str = ""
    batch_size: int = 32
    num_accumulations: int = 1
    num_steps: int = 1000
    d_steps: int = 2
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    beta1: float = 0.0
    beta2: float = 0.999
    adam_epsilon: float = 1e-6
    loss: str = "hinge"
    ortho_reg: float = 1e-4
    ema_decay: float = 0.99
    ema_start: int = 250
    precision: str = "float32"
    jit_compile: bool = False
    seed: int = 0
    deterministic: bool = False
    save_every: int = 250
    keep_checkpoints: int = 3
    checkpoint_data_iterator: bool = True
    log_every: int = 50
    sample_every: int = 250
    grid_columns: int = 8
    grid_rows: int = 10
    standing_batches: int = 4
    standing_batch_size: int = 64
    eval_every: int = 0
    eval_num_samples: int = 10_000
    eval_extractor: str = "auto"
    eval_cache_dir: Optional[str] = None
    # The GAN lineage (tfbiggan.train.objectives); every default is "off" but
    # R1, which the digits demo uses (configs/digits.flags says why).
    optimizer: str = "adam"
    real_target: float = 1.0
    d_weight_clip: float = 0.0
    gp_weight: float = 0.0
    r1_gamma: float = 1.0
    r1_interval: int = 16
    g_sigma_reg: float = 0.0
    g_sigma_target: float = 0.0
    g_sigma_ratio: float = 0.0
    g_sigma_clamp: float = 0.0
    g_sigma_clamp_ratio: float = 0.0
    feature_matching: float = 0.0
    g_loss_weight: float = 1.0
    historical_averaging: float = 0.0
    virtual_batch_norm: int = 0
    singular_values_every: int = 0
    # Progressive GAN (tfbiggan.train.progan_step); used with ProGAN presets only.
    fade_images: int = 0
    stable_images: int = 0
    level_batch_sizes: tuple = ()
    level_learning_rates: tuple = ()
    drift: float = 0.0
    class_loss_weight: float = 1.0
    eval_each_resolution: bool = False

    def __post_init__(self):
        object.__setattr__(self, "level_batch_sizes", tuple(self.level_batch_sizes))
        object.__setattr__(self, "level_learning_rates", tuple(self.level_learning_rates))
        self._validate()

    @property
    def progressive(self):
        """True for a ProGAN model, which trains by ``growth_schedule()``."""
        return is_progan(self.model)

    def growth_schedule(self):
        """ProGAN's GrowthSchedule of this run (ProGAN models only)."""
        return GrowthSchedule(self.model.num_levels, self.fade_images, self.stable_images,
                              default_batch=self.batch_size,
                              batch_sizes=self.level_batch_sizes,
                              learning_rates=self.level_learning_rates)

    def level_batches(self):
        """The global batch of each level (ProGAN) or (batch_size,)."""
        if not self.progressive:
            return (self.batch_size,)
        schedule = self.growth_schedule()
        return tuple(schedule.batch_size(level) for level in range(schedule.num_levels))

    def micro_batch(self):
        """Global batch of one accumulation micro-step; for ProGAN the unit
        the data comes in, the gcd of the level batches."""
        if self.progressive:
            return math.gcd(*self.level_batches())
        return self.batch_size // self.num_accumulations

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
        self._validate_data(need)
        for name in ("batch_size", "num_accumulations", "d_steps",
                     "grid_columns", "grid_rows", "standing_batch_size",
                     "keep_checkpoints") + (() if self.progressive else ("num_steps",)):
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
        if self.progressive:
            self._validate_progressive(need)
        else:
            need(not (self.fade_images or self.stable_images or self.level_batch_sizes
                      or self.level_learning_rates or self.drift
                      or self.eval_each_resolution),
                 "--fade_images, --stable_images, --level_batch_sizes, "
                 "--level_learning_rates, --drift and --eval_each_resolution are "
                 "Progressive GAN settings; use them with a progan preset (see "
                 "configs/progan_digits.flags).")
            group = getattr(self.model, "d_minibatch_stddev", 0)
            local = self.batch_size // self.num_accumulations
            need(not group or local % min(group, local) == 0,
                 f"--d_minibatch_stddev={group}: the micro-batch of {local} images does "
                 "not split into groups of that size; use a divisor of it.")
        self.check_replicas(1)

    def _validate_data(self, need):
        data = self.data
        need(data.name in DATASETS,
             f"--dataset={data.name!r}: choose one of {', '.join(DATASETS)}.")
        need(data.name != "folder" or data.folder,
             "--dataset=folder needs --folder=<directory of class sub-folders>.")
        need(data.name == "folder" or not data.folder,
             f"--folder={data.folder} is read only with --dataset=folder (got "
             f"--dataset={data.name}); pass --dataset=folder, or leave --folder out.")
        need(data.name == "folder" or not data.skip_bad_images,
             "--skip_bad_images applies to --dataset=folder only.")
        need(data.name == "imagenet2012" or not data.manual_dir,
             f"--manual_dir holds the ILSVRC2012 tars of --dataset=imagenet2012 (got "
             f"--dataset={data.name}); leave it out.")
        need(data.shuffle_buffer >= 1,
             f"--shuffle_buffer must be >= 1 (examples held for shuffling), got "
             f"{data.shuffle_buffer}.")

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

    # Settings a ProGAN run does not use, with the value that means "off".
    _NOT_PROGRESSIVE = {
        "num_accumulations": 1, "ortho_reg": 0.0, "optimizer": "adam",
        "real_target": 1.0, "d_weight_clip": 0.0, "r1_gamma": 0.0, "g_sigma_reg": 0.0,
        "g_sigma_clamp": 0.0, "g_sigma_clamp_ratio": 0.0, "feature_matching": 0.0,
        "g_loss_weight": 1.0, "historical_averaging": 0.0, "virtual_batch_norm": 0,
        "standing_batches": 0, "precision": "float32", "jit_compile": False}

    def _validate_progressive(self, need):
        for name, off in self._NOT_PROGRESSIVE.items():
            need(getattr(self, name) == off,
                 f"--{name}={getattr(self, name)!r} does not apply to Progressive GAN; "
                 f"set --{name}={off}, or start from --flagfile=configs/progan_digits.flags.")
        need(self.fade_images > 0 and self.stable_images > 0,
             "Progressive GAN needs --fade_images and --stable_images > 0 (real images "
             "per fade-in and per stabilisation; the paper uses 800000 each).")
        need(self.drift >= 0 and self.class_loss_weight >= 0,
             "--drift and --class_loss_weight must be >= 0.")
        levels = self.model.num_levels
        for name in ("level_batch_sizes", "level_learning_rates"):
            values = getattr(self, name)
            need(not values or len(values) == levels,
                 f"--{name} needs one value per level, {levels} for 4x4 .. "
                 f"{self.model.resolution}x{self.model.resolution}, got {len(values)}.")
            need(all(v > 0 for v in values), f"--{name}: every value must be > 0.")
        steps = self.growth_schedule().steps()
        need(self.num_steps in (0, steps),
             f"num_steps={self.num_steps}: a Progressive GAN run's length is set by "
             f"--fade_images and --stable_images (this schedule takes {steps} steps); "
             "pass 0 for that.")
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
        if self.progressive:
            unit = self.micro_batch()
            if unit % num_replicas:
                raise ConfigError(
                    f"The level batches {list(self.level_batches())} (gcd {unit}) do "
                    f"not split over {num_replicas} replicas; make each a multiple of "
                    f"{num_replicas}.")
            return
        split = self.num_accumulations * num_replicas
        if self.batch_size % split:
            raise ConfigError(
                f"--batch_size={self.batch_size} is not divisible by "
                f"num_accumulations ({self.num_accumulations}) x replicas "
                f"({num_replicas}) = {split}.")

    def to_dict(self):
        return dataclasses.asdict(self)
