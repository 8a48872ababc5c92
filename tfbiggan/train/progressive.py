"""Progressive growing's schedule (Karras et al. 2018, Sec. 2 and App. A.1):
train 4x4 for ``stable_images`` real images; then, per new resolution, a fade
in which alpha rises linearly from 0 to 1 over ``fade_images`` images,
followed by a stabilisation of ``stable_images`` images at alpha = 1. The
paper uses 800k images for each phase. After the last level's fade the run
stays at alpha = 1.

Progress is counted in real images shown, so a per-level batch size changes
the number of steps of a phase but not its length in images; a checkpoint
that stores the count resumes mid-phase at the same level and alpha.
"""
import dataclasses

FADE, STABILISE = "fade", "stabilise"


@dataclasses.dataclass(frozen=True)
class Phase:
    """Where a run is: ``level`` (0 = 4x4), ``alpha`` in [0, 1], ``name``
    'fade' or 'stabilise', and the images shown since the phase began."""
    level: int
    alpha: float
    name: str
    images_into_phase: int


@dataclasses.dataclass(frozen=True)
class GrowthSchedule:
    """The phases of a run that grows to level ``num_levels - 1``.

    Attributes:
      num_levels: levels 0 .. num_levels - 1 (4x4 .. final resolution).
      fade_images, stable_images: the phases' lengths in real images.
      batch_sizes: optional per-level batch sizes (a tuple, one per level);
        ``batch_size(level)`` falls back to ``default_batch``.
      learning_rates: optional per-level learning rates (both networks);
        ``learning_rate(level, default)`` falls back to the default given.
    """
    num_levels: int
    fade_images: int = 800_000
    stable_images: int = 800_000
    default_batch: int = 16
    batch_sizes: tuple = ()
    learning_rates: tuple = ()

    def __post_init__(self):
        if self.fade_images <= 0 or self.stable_images <= 0:
            raise ValueError("ProGAN schedule: fade_images and stable_images must be > 0, "
                             f"got {self.fade_images} and {self.stable_images}.")
        for name in ("batch_sizes", "learning_rates"):
            values = getattr(self, name)
            if values and len(values) != self.num_levels:
                raise ValueError(f"ProGAN schedule: {name} needs one value per level "
                                 f"({self.num_levels}: 4x4 up), got {len(values)}.")

    def phase(self, images_shown):
        """The Phase after ``images_shown`` real images (an int >= 0)."""
        if images_shown < self.stable_images:
            return Phase(0, 1.0, STABILISE, int(images_shown))
        period = self.fade_images + self.stable_images
        since_first_fade = images_shown - self.stable_images
        level = 1 + since_first_fade // period
        if level >= self.num_levels:  # past the last fade: stabilise for good
            last = self.num_levels - 1
            start = self.images_to_reach(last) + self.fade_images
            return Phase(last, 1.0, STABILISE, int(images_shown - start))
        within = since_first_fade % period
        if within < self.fade_images:
            return Phase(int(level), within / self.fade_images, FADE, int(within))
        return Phase(int(level), 1.0, STABILISE, int(within - self.fade_images))

    def images_to_reach(self, level):
        """Images shown when ``level``'s fade begins (0 for level 0)."""
        if level == 0:
            return 0
        return self.stable_images + (level - 1) * (self.fade_images + self.stable_images)

    def total_images(self):
        """Images to the end of the last level's stabilisation."""
        return self.images_to_reach(self.num_levels - 1) + self.fade_images + self.stable_images

    def batch_size(self, level):
        return self.batch_sizes[level] if self.batch_sizes else self.default_batch

    def learning_rate(self, level, default):
        return self.learning_rates[level] if self.learning_rates else default

    def step_levels(self):
        """The level of every training step to the end ([steps] ints): each
        step shows the batch of the level its first image belongs to."""
        total, images, levels = self.total_images(), 0, []
        while images < total:
            levels.append(self.phase(images).level)
            images += self.batch_size(levels[-1])
        return levels

    def steps(self):
        """Training steps to the end."""
        return len(self.step_levels())
