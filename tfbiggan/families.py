"""The model families, the unit of extension: the one module that names them.

A family (BigGAN / BigGAN-deep, Progressive GAN, the next one) is a
``Family`` entry. It gives everything shared code needs, so that code asks
the entry and never tests which family it has:

- ``config_class`` and ``presets`` (data: {name: config});
- ``generator`` / ``discriminator``: Keras models built from a config;
- ``schedule``: the family's group of training settings (a frozen dataclass
  whose fields become ``python -m tfbiggan.train`` flags; see
  ``tfbiggan.train.schedules``), which also says how a step's batch splits
  and how many steps the run takes;
- ``not_applicable``: the shared training settings its trainer does not use,
  with the value that means "off" (a run that sets one is refused);
- ``trainer``: a ``tfbiggan.train.trainer_base.TrainerBase`` subclass;
- ``export``: its export interface (``hub_export.interface.ExportInterface``).

``schedule``, ``trainer`` and ``export`` may be given as
``"module:attribute"`` strings, imported on first use: training and export
code sit above the models (and import this module), and ``tfbiggan`` never
imports ``hub_export``.

``FAMILIES`` is the registry. A new family adds its folder and one
``FAMILIES.register(Family(...))`` line; a test registers one for its own
duration with ``FAMILIES.registered(family)``.
"""
import contextlib
import dataclasses
import importlib
from typing import Any, Mapping

from tfbiggan.models import biggan, progan
from tfbiggan.settings import field_help


def load(reference):
    """``reference`` itself, or the object a ``"module:attribute"`` string names."""
    if not isinstance(reference, str):
        return reference
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family's registry entry.

    Attributes:
      name: the family's name ("biggan", "progan").
      title: how messages name it ("BigGAN", "Progressive GAN").
      architectures: the config ``architecture`` values that belong to it.
      config_class: its frozen model config (``to_dict`` / ``from_dict`` /
        ``replace``).
      presets: {preset name: config}.
      generator, discriminator: model classes taking ``(config, **kwargs)``.
      schedule: the dataclass of its training-settings group, or a
        "module:attribute" string.
      trainer: its TrainerBase subclass, or a "module:attribute" string.
      export: its ExportInterface, or a "module:attribute" string.
      not_applicable: {shared TrainConfig setting: the value that means off}
        for the settings its trainer does not use.
      recipe: a flagfile to start from, named in messages.
      uses_standing_stats: whether its generator keeps standing statistics
        (batch norm) for sampling with a truncation.
    """
    name: str
    title: str
    architectures: tuple
    config_class: type
    presets: Mapping[str, Any]
    generator: type
    discriminator: type
    schedule: Any
    trainer: Any
    export: Any
    not_applicable: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    recipe: str = ""
    uses_standing_stats: bool = False

    def load_schedule(self):
        return load(self.schedule)

    def load_trainer(self):
        return load(self.trainer)

    def load_export(self):
        return load(self.export)

    def model_fields(self):
        """The config fields a command line may override, with their types."""
        return {f.name: f.type for f in dataclasses.fields(self.config_class)}

    def model_help(self):
        return field_help(self.config_class)


class Registry:
    """The registered families, by name, in registration order."""

    def __init__(self, *families):
        self._families = {}
        for family in families:
            self.register(family)

    def register(self, family):
        """Adds ``family``; ValueError if its name, an architecture or a
        preset name is taken."""
        if family.name in self._families:
            raise ValueError(f"a model family named {family.name!r} is registered already.")
        for other in self._families.values():
            taken = (set(other.architectures) & set(family.architectures)) | (
                set(other.presets) & set(family.presets))
            if taken:
                raise ValueError(f"family {family.name!r} reuses {sorted(taken)} of "
                                 f"family {other.name!r}.")
        self._families[family.name] = family
        return family

    def unregister(self, name):
        del self._families[name]

    @contextlib.contextmanager
    def registered(self, family):
        """``family`` registered for the ``with`` block only (tests)."""
        self.register(family)
        try:
            yield family
        finally:
            self.unregister(family.name)

    def __iter__(self):
        return iter(list(self._families.values()))

    def by_name(self, name):
        return self._families[name]

    def of(self, config):
        """The family of a model config (by its ``architecture``)."""
        return self.of_architecture(config.architecture)

    def of_architecture(self, architecture):
        for family in self._families.values():
            if architecture in family.architectures:
                return family
        known = [a for f in self._families.values() for a in f.architectures]
        raise ValueError(f"architecture {architecture!r} belongs to no model family; "
                         f"known: {', '.join(known)}.")

    def of_preset(self, name):
        """The family that has preset ``name``; ValueError listing every preset."""
        for family in self._families.values():
            if name in family.presets:
                return family
        raise ValueError(f"Unknown preset {name!r}; choose one of "
                         f"{', '.join(self.all_presets())}.")

    def all_presets(self):
        """{preset name: config} over every family."""
        return {name: config for family in self._families.values()
                for name, config in family.presets.items()}

    def get_preset(self, name, **overrides):
        """The preset called ``name`` from whichever family has it, with fields
        replaced by ``overrides``; ValueError listing every preset otherwise."""
        config = self.of_preset(name).presets[name]
        return config.replace(**overrides) if overrides else config

    def preset_name(self, config):
        """The name of the preset equal to ``config``, or None."""
        return next((name for name, preset in self.all_presets().items()
                     if preset == config), None)

    def config_from_dict(self, values):
        """The config a ``to_dict()`` payload describes (its family by
        ``architecture``)."""
        return self.of_architecture(values.get("architecture")).config_class.from_dict(values)

    def build_generator(self, config, **kwargs):
        """An unbuilt generator of the config's family."""
        return self.of(config).generator(config, **kwargs)

    def build_discriminator(self, config, **kwargs):
        """An unbuilt discriminator of the config's family."""
        return self.of(config).discriminator(config, **kwargs)


def _builtin_families():
    return (
        Family(name="biggan", title="BigGAN", architectures=("biggan", "biggan-deep"),
               config_class=biggan.BigGANConfig, presets=biggan.PRESETS,
               generator=biggan.Generator, discriminator=biggan.Discriminator,
               schedule="tfbiggan.train.schedules:FixedSchedule",
               trainer="tfbiggan.train.step:Trainer",
               export="hub_export.biggan:INTERFACE", recipe="configs/digits.flags",
               uses_standing_stats=True),
        Family(name="progan", title="Progressive GAN", architectures=("progan",),
               config_class=progan.ProGANConfig, presets=progan.PRESETS,
               generator=progan.ProGANGenerator, discriminator=progan.ProGANDiscriminator,
               schedule="tfbiggan.train.schedules:GrowthSettings",
               trainer="tfbiggan.train.progan_step:ProGANTrainer",
               export="hub_export.progan:INTERFACE", recipe="configs/progan_digits.flags",
               not_applicable={
                   "num_accumulations": 1, "ortho_reg": 0.0, "optimizer": "adam",
                   "real_target": 1.0, "d_weight_clip": 0.0, "r1_gamma": 0.0,
                   "g_sigma_reg": 0.0, "g_sigma_clamp": 0.0, "g_sigma_clamp_ratio": 0.0,
                   "feature_matching": 0.0, "g_loss_weight": 1.0,
                   "historical_averaging": 0.0, "virtual_batch_norm": 0,
                   "standing_batches": 0, "precision": "float32", "jit_compile": False}),
    )


FAMILIES = Registry(*_builtin_families())
