"""The tfbiggan config that an official-weights file describes.

Both readers reduce a file to the generator's shape facts (resolution, classes,
z and embedding widths, channel width, attention resolution, epsilon) and
``deep_config`` turns those into the matching preset, or into a custom
BigGAN-deep config when no preset matches (smaller test models, for example).
The official modules are ``biggan-deep-128/256/512``: ch 128, z 128,
embedding 128, attention at 64, epsilon 1e-4.
"""
from tfbiggan.models import PRESETS, BigGANConfig
from tfbiggan.models.biggan.config import G_STAGES

OFFICIAL_EPSILON = 1e-4


def deep_stage_layers(resolution):
    """BigGAN-deep blocks of a resolution as (upsample, in_mult, out_mult):
    two per stage, (False, i, i) then (True, i, o) (hf's ``config.layers``)."""
    layers = []
    for i, o in zip(*G_STAGES[resolution]):
        layers += [(False, i, i), (True, i, o)]
    return layers


def attention_resolution(resolution, channels, g_ch):
    """The resolution after the stage whose output has ``channels`` channels.

    Raises ValueError when no stage, or more than one, has that width.
    """
    _, out_mults = G_STAGES[resolution]
    found = [4 * 2 ** (s + 1) for s, mult in enumerate(out_mults) if mult * g_ch == channels]
    if len(found) != 1:
        raise ValueError(f"the attention layer has {channels} channels, which "
                         f"{'no stage' if not found else 'several stages'} of a "
                         f"{resolution}px BigGAN-deep with ch {g_ch} produce "
                         f"({found or 'none'}).")
    return found[0]


def deep_config(resolution, num_classes, z_dim, g_ch, embed_dim, g_attention,
                epsilon=OFFICIAL_EPSILON):
    """``(preset_name or None, BigGANConfig)`` of a BigGAN-deep generator.

    The generator fields decide; a preset whose generator fields all match is
    returned as it is (so its discriminator fields come with it).
    """
    fields = dict(architecture="biggan-deep", resolution=int(resolution),
                  num_classes=int(num_classes), z_dim=int(z_dim), g_ch=int(g_ch),
                  embed_dim=int(embed_dim), g_attention=int(g_attention),
                  bn_epsilon=float(epsilon), sn_epsilon=float(epsilon))
    for name, preset in PRESETS.items():
        if all(getattr(preset, key) == value for key, value in fields.items()):
            return name, preset
    return None, BigGANConfig(d_ch=int(g_ch), d_attention=0, **fields)
