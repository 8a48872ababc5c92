"""The model families by name: which config, generator and discriminator a
preset or a saved ``model_config.json`` belongs to.

A config's ``architecture`` field names its family: "biggan" and
"biggan-deep" are BigGAN (``tfbiggan.models.biggan``), "progan" is
Progressive GAN (``tfbiggan.models.progan``). Code that handles any run
(loading, training, evaluation, export) asks here instead of testing types.
"""
from tfbiggan.models import biggan, progan

PROGAN = "progan"


def is_progan(config):
    return config.architecture == PROGAN


def family(config):
    """The family module (``biggan`` or ``progan``) of a model config."""
    return progan if is_progan(config) else biggan


def all_presets():
    """{preset name: config} over every family."""
    return {**biggan.PRESETS, **progan.PRESETS}


def get_any_preset(name, **overrides):
    """The preset called ``name`` from whichever family has it; ValueError
    listing every preset otherwise."""
    for module in (biggan, progan):
        if name in module.PRESETS:
            return module.get_preset(name, **overrides)
    raise ValueError(f"Unknown preset {name!r}; choose one of {', '.join(all_presets())}.")


def config_from_dict(values):
    """The config a ``to_dict()`` payload describes (its family by
    ``architecture``)."""
    if values.get("architecture") == PROGAN:
        return progan.ProGANConfig.from_dict(values)
    return biggan.BigGANConfig.from_dict(values)


def build_generator(config, **kwargs):
    """An unbuilt generator of the config's family."""
    if is_progan(config):
        return progan.ProGANGenerator(config, **kwargs)
    return biggan.Generator(config, **kwargs)


def build_discriminator(config, **kwargs):
    """An unbuilt discriminator of the config's family."""
    if is_progan(config):
        return progan.ProGANDiscriminator(config, **kwargs)
    return biggan.Discriminator(config, **kwargs)
