"""Size and cost of a preset's generator and discriminator.

    python -m tfbiggan.summary --preset=biggan-deep-128 [--json] [--nodiscriminator]

Prints trainable parameters of G and D, G's forward GFLOPs per image (nominal:
2 x MACs of conv/matmul ops, the published counting convention; see
``tfbiggan.models.flops``) and the input/output shapes. ``--json`` prints one
JSON object instead.
"""
import json
import os

from absl import flags

from tfbiggan.cli import Command, entry_point


def summarize(preset, discriminator=True, executed_flops=False):
    """A dict describing ``preset``; builds G (and D when ``discriminator``).

    Keys: preset, architecture, resolution, z_dim, num_classes,
    generator_params, discriminator_params (None when skipped),
    generator_gflops (per image, nominal), generator_inputs,
    generator_output, discriminator_inputs, discriminator_output, and
    generator_gflops_executed when ``executed_flops``.
    """
    # pylint: disable=import-outside-toplevel
    from tfbiggan.models import Discriminator, Generator, count_parameters, get_preset
    from tfbiggan.models.flops import generator_flops_per_image

    cfg = get_preset(preset)
    generator = Generator(cfg)
    generator.build()
    r = cfg.resolution
    info = {
        "preset": preset,
        "architecture": cfg.architecture,
        "resolution": r,
        "z_dim": cfg.z_dim,
        "num_classes": cfg.num_classes,
        "generator_params": count_parameters(generator),
        "discriminator_params": None,
        "generator_gflops": generator_flops_per_image(generator, nominal=True) / 1e9,
        "generator_inputs": {"z": ["batch", cfg.z_dim], "y": ["batch", cfg.num_classes],
                             "truncation": []},
        "generator_output": ["batch", r, r, 3],
        "discriminator_inputs": {"images": ["batch", r, r, 3],
                                 "y": ["batch", cfg.num_classes]},
        "discriminator_output": ["batch"],
    }
    if executed_flops:
        info["generator_gflops_executed"] = (
            generator_flops_per_image(generator, nominal=False) / 1e9)
    del generator
    if discriminator:
        disc = Discriminator(cfg)
        disc.build()
        info["discriminator_params"] = count_parameters(disc)
    return info


def _shape(dims):
    return "[" + ", ".join(str(d) for d in dims) + "]"


def format_summary(info):
    """Human-readable lines for a ``summarize`` dict."""
    d_params = info["discriminator_params"]
    lines = [
        f"preset               {info['preset']} ({info['architecture']}, "
        f"{info['resolution']}x{info['resolution']})",
        f"generator params     {info['generator_params']:,}",
        f"discriminator params {'skipped' if d_params is None else f'{d_params:,}'}",
        f"generator GFLOPs/img {info['generator_gflops']:.3f} (nominal, 2 x MACs)",
    ]
    if "generator_gflops_executed" in info:
        lines.append(f"  executed           {info['generator_gflops_executed']:.3f} "
                     "(fused upsample-convs, 3-channel head)")
    g_in = info["generator_inputs"]
    d_in = info["discriminator_inputs"]
    lines += [
        f"G inputs             z {_shape(g_in['z'])}, y {_shape(g_in['y'])}, "
        f"truncation {_shape(g_in['truncation'])} (optional)",
        f"G output             images {_shape(info['generator_output'])} in [-1, 1]",
        f"D inputs             images {_shape(d_in['images'])}, y {_shape(d_in['y'])}",
        f"D output             logits {_shape(info['discriminator_output'])}",
    ]
    return "\n".join(lines)


def _main(fv, positional):
    del positional
    info = summarize(fv.preset, discriminator=fv.discriminator,
                     executed_flops=fv.executed_flops)
    print(json.dumps(info) if fv.json else format_summary(info))


def define_flags(fv):
    # pylint: disable=import-outside-toplevel
    from tfbiggan.models import PRESETS
    f = dict(flag_values=fv)
    flags.DEFINE_enum("preset", "biggan-deep-128", sorted(PRESETS), "Model preset.", **f)
    flags.DEFINE_bool("json", False, "Print one JSON object.", **f)
    flags.DEFINE_bool("discriminator", True,
                      "Build D to count its parameters (--nodiscriminator skips it).", **f)
    flags.DEFINE_bool("executed_flops", False,
                      "Also count the FLOPs the library actually executes.", **f)


COMMAND = Command("tfbiggan.summary", define_flags, _main,
                  usage="python -m tfbiggan.summary --preset=NAME [--json]")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    entry_point(COMMAND)
