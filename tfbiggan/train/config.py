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
        need(self.strategy != "tpu" or self.precision != "float16",
             "--precision=float16 is not supported on TPU; use bfloat16.")
        self.check_replicas(1)

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
