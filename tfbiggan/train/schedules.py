"""Each model family's group of training settings: how long a run is, how a
step's batch splits, and the settings only that family has.

A ``TrainConfig`` holds one as ``schedule``, of the class its family's
registry entry names (``tfbiggan.families``). Its fields are declared with
``tfbiggan.settings.setting(default, help)``; ``python -m tfbiggan.train`` turns every field of
every family's schedule into a flag with that help (``tfbiggan.train.main``),
so a new setting is written once, here.

- ``FixedSchedule`` (BigGAN): one resolution and one batch for the whole run,
  ``num_steps`` steps, each split over ``num_accumulations`` micro-batches.
- ``GrowthSettings`` (Progressive GAN): the growth schedule of Karras et al.
  2018 (``tfbiggan.train.progressive``); the run's length follows from it.
"""
import dataclasses
import math

from tfbiggan.settings import setting
from tfbiggan.train.progressive import GrowthSchedule


class Schedule:
    """What TrainConfig asks of a family's settings group.

    ``validate(config, need)`` checks the group against the whole config
    (``need(ok, message)`` raises ConfigError); ``num_steps(config)`` is the
    run's length (``config.num_steps`` unless the schedule fixes it);
    ``level_batches(config)`` the global batch of each stage of the run;
    ``micro_batch(config)`` the global batch the data comes in;
    ``check_replicas(config, n)`` a message when that does not split over n
    replicas, else None.
    """
    # The run's length is the schedule's own (num_steps must be 0 or equal).
    fixes_num_steps = False
    # Evaluate when each stage of the run ends (growing schedules).
    eval_each_level = False

    def validate(self, config, need):
        del config, need

    def num_steps(self, config):
        return config.num_steps

    def level_batches(self, config):
        return (config.batch_size,)

    def micro_batch(self, config):
        return config.batch_size // config.num_accumulations

    def check_replicas(self, config, num_replicas):
        split = config.num_accumulations * num_replicas
        if config.batch_size % split:
            return (f"--batch_size={config.batch_size} is not divisible by "
                    f"num_accumulations ({config.num_accumulations}) x replicas "
                    f"({num_replicas}) = {split}.")
        return None

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FixedSchedule(Schedule):
    """BigGAN: the whole run at one resolution and batch (Brock et al. 2019)."""

    def validate(self, config, need):
        group = getattr(config.model, "d_minibatch_stddev", 0)
        local = config.batch_size // config.num_accumulations
        need(not group or local % min(group, local) == 0,
             f"--d_minibatch_stddev={group}: the micro-batch of {local} images does "
             "not split into groups of that size; use a divisor of it.")


@dataclasses.dataclass(frozen=True)
class GrowthSettings(Schedule):
    """Progressive GAN's schedule and loss terms (Karras et al. 2018, Sec. 2,
    App. A.1; trained by ``tfbiggan.train.progan_step``).

    ``batch_size`` (of TrainConfig) is the batch of every level without an
    entry in ``level_batch_sizes``; the data comes in units of the gcd of the
    level batches, several per step.
    """
    fade_images: int = setting(0, "ProGAN: real images per fade-in (paper: 800000).")
    stable_images: int = setting(0, "ProGAN: real images per stabilisation (paper: 800000).")
    level_batch_sizes: tuple = setting(
        (), "ProGAN: global batch per level, 4x4 first (default --batch_size for all).",
        item=int)
    level_learning_rates: tuple = setting(
        (), "ProGAN: G and D learning rate per level (default --g_lr / --d_lr).",
        item=float)
    drift: float = setting(0.0, "ProGAN: weight of the drift term E[D(x)^2] (paper: 0.001).")
    class_loss_weight: float = setting(
        1.0, "ProGAN, conditional: weight of the auxiliary class loss.")
    eval_each_resolution: bool = setting(
        False, "ProGAN: evaluate when each resolution's training ends (its images "
               "upsampled to the final size).")

    fixes_num_steps = True

    def __post_init__(self):
        object.__setattr__(self, "level_batch_sizes", tuple(self.level_batch_sizes))
        object.__setattr__(self, "level_learning_rates", tuple(self.level_learning_rates))

    @property
    def eval_each_level(self):
        return self.eval_each_resolution

    def growth_schedule(self, config):
        """The GrowthSchedule of a run of ``config`` (a TrainConfig)."""
        return GrowthSchedule(config.model.num_levels, self.fade_images, self.stable_images,
                              default_batch=config.batch_size,
                              batch_sizes=self.level_batch_sizes,
                              learning_rates=self.level_learning_rates)

    def validate(self, config, need):
        need(self.fade_images > 0 and self.stable_images > 0,
             "Progressive GAN needs --fade_images and --stable_images > 0 (real images "
             "per fade-in and per stabilisation; the paper uses 800000 each).")
        need(self.drift >= 0 and self.class_loss_weight >= 0,
             "--drift and --class_loss_weight must be >= 0.")
        levels = config.model.num_levels
        for name in ("level_batch_sizes", "level_learning_rates"):
            values = getattr(self, name)
            need(not values or len(values) == levels,
                 f"--{name} needs one value per level, {levels} for 4x4 .. "
                 f"{config.model.resolution}x{config.model.resolution}, got {len(values)}.")
            need(all(v > 0 and math.isfinite(v) for v in values),
                 f"--{name}: every value must be a finite number > 0.")

    def num_steps(self, config):
        return self.growth_schedule(config).steps()

    def level_batches(self, config):
        schedule = self.growth_schedule(config)
        return tuple(schedule.batch_size(level) for level in range(schedule.num_levels))

    def micro_batch(self, config):
        return math.gcd(*self.level_batches(config))

    def check_replicas(self, config, num_replicas):
        unit = self.micro_batch(config)
        if unit % num_replicas:
            return (f"The level batches {list(self.level_batches(config))} (gcd {unit}) do "
                    f"not split over {num_replicas} replicas; make each a multiple of "
                    f"{num_replicas}.")
        return None
