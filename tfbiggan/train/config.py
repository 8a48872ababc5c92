"""The frozen training configuration that flags are turned into.

Nothing below ``tfbiggan.train.main`` reads flags: builders take a TrainConfig
(or plain arguments). A TrainConfig checks itself once, when it is made
(ConfigError with one clear message); ``check_replicas`` adds the one check
that needs the strategy. ``to_dict()`` is what ``model_config.json`` records.
"""
import dataclasses
from typing import Optional

from tfbiggan.data.pipeline import DATASETS, DataSpec
from tfbiggan.losses import LOSSES
from tfbiggan.models import BigGANConfig

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
PRECISIONS = ("float32", "bfloat16", "float16")
OPTIMIZERS = ("adam", "rmsprop")


class ConfigError(ValueError):
    """Unknown or inconsistent training settings."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides the model directory.

    Batch sizes: ``batch_size`` is the global batch of one optimizer step; it
    is split over ``num_accumulations`` micro-batches and, within each, over
    the replicas (``batch_size % (num_accumulations * replicas) == 0``).
    Steps count generator updates; each makes ``d_steps`` D updates first.
    The defaults are the CPU digits demo (``configs/digits.flags``); the
    ImageNet recipes are in ``configs/{128,256,512,deep128,deep256,deep512}``.
    """
    model: BigGANConfig
    data: DataSpec = DataSpec()
    strategy: str = "default"
    tpu: str = ""
    batch_size: int = 32
    num_accumulations: int = 1
    num_steps: int = 1000
    d_steps: int = 1
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    beta1: float = 0.0
    beta2: float = 0.999
    adam_epsilon: float = 1e-6
    loss: str = "hinge"
    ortho_reg: float = 1e-4
    ema_decay: float = 0.995
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
    # The GAN lineage (tfbiggan.train.objectives); every default is "off".
    optimizer: str = "adam"
    real_target: float = 1.0
    d_weight_clip: float = 0.0
    gp_weight: float = 0.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
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

    def __post_init__(self):
        self._validate()

    def micro_batch(self):
        """Global batch of one accumulation micro-step."""
        return self.batch_size // self.num_accumulations

    def _validate(self):
        """Raises ConfigError on the first inconsistent setting."""
        def need(ok, message):
            if not ok:
                raise ConfigError(message)
        need(self.optimizer in OPTIMIZERS,
             f"--optimizer={self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
        need(self.strategy in STRATEGIES,
             f"--strategy={self.strategy!r}: choose one of {', '.join(STRATEGIES)}.")
        need(self.precision in PRECISIONS,
             f"--precision={self.precision!r}: choose one of {', '.join(PRECISIONS)}.")
        need(self.loss in LOSSES,
             f"--loss={self.loss!r}: choose one of {', '.join(sorted(LOSSES))}.")
        need(self.data.name in DATASETS,
             f"--dataset={self.data.name!r}: choose one of {', '.join(DATASETS)}.")
        need(self.data.name != "folder" or self.data.folder,
             "--dataset=folder needs --folder=<directory of class sub-folders>.")
        for name in ("batch_size", "num_accumulations", "num_steps", "d_steps",
                     "grid_columns", "grid_rows", "standing_batch_size",
                     "keep_checkpoints"):
            need(getattr(self, name) >= 1, f"--{name} must be >= 1, got "
                                           f"{getattr(self, name)}.")
        for name in ("save_every", "log_every", "sample_every", "eval_every",
                     "ema_start", "standing_batches"):
            need(getattr(self, name) >= 0, f"--{name} must be >= 0.")
        need(0.0 <= self.ema_decay < 1.0, f"--ema_decay must be in [0, 1), got "
                                          f"{self.ema_decay}.")
        need(self.g_lr > 0 and self.d_lr > 0, "--g_lr and --d_lr must be > 0.")
        need(self.ortho_reg >= 0, "--ortho_reg must be >= 0.")
        need(self.eval_num_samples >= 10,
             f"--eval_num_samples must be >= 10, got {self.eval_num_samples}.")
        self._validate_lineage(need)
        need(self.strategy != "tpu" or self.precision != "float16",
             "--precision=float16 is not supported on TPU; use bfloat16.")
        self.check_replicas(1)

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
        split = self.num_accumulations * num_replicas
        if self.batch_size % split:
            raise ConfigError(
                f"--batch_size={self.batch_size} is not divisible by "
                f"num_accumulations ({self.num_accumulations}) x replicas "
                f"({num_replicas}) = {split}.")

    def to_dict(self):
        return dataclasses.asdict(self)
