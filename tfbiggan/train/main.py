"""``python -m tfbiggan.train``: absl flags -> TrainConfig -> TrainingRun.

With no flags it trains the CPU digits demo into ``runs/digits``. Recipes live
in ``configs/*.flags``; flags given after ``--flagfile`` override the file:

  python -m tfbiggan.train --flagfile=configs/deep128.flags --data_dir=/data

Flags are read here and nowhere else.
"""
import dataclasses
import os

from absl import flags

from tfbiggan.cli import Command
from tfbiggan.cli import entry_point as entry_point_of
from tfbiggan.data.pipeline import DATASETS, DataSpec
from tfbiggan.losses import LOSSES
from tfbiggan.models.families import all_presets, get_any_preset
from tfbiggan.paths import check_writable_folder
from tfbiggan.train.config import (OPTIMIZERS, PRECISIONS, STRATEGIES, ConfigError,
                                   TrainConfig)

_MODEL_FIELDS = ("architecture", "resolution", "num_classes", "z_dim", "g_ch", "d_ch",
                 "embed_dim", "g_attention", "d_attention", "hierarchical_z",
                 "bn_momentum", "power_iterations", "g_spectral_norm", "d_spectral_norm",
                 "g_shared_embedding", "d_minibatch_kernels", "d_minibatch_kernel_dim",
                 "d_minibatch_stddev")
# ProGAN presets take these model overrides (tfbiggan.models.progan.config).
_PROGAN_FIELDS = ("resolution", "num_classes", "z_dim", "fmap_base", "fmap_max",
                  "mbstd_group_size")


def define_flags(fv):
    """Defines every training flag on ``fv``; defaults are the digits demo."""
    d = TrainConfig.__dataclass_fields__
    f = dict(flag_values=fv)
    flags.DEFINE_string("model_dir", None, "Run directory (default runs/<preset>).", **f)
    flags.DEFINE_boolean("allow_setting_changes", False,
                         "Resume a run whose checkpoints were made with other training "
                         "settings; the change is recorded in its model_config.json.", **f)
    # Model: a preset plus optional overrides of its fields.
    flags.DEFINE_string("preset", "digits", f"Model preset: {', '.join(all_presets())}.",
                        **f)
    flags.DEFINE_string("architecture", None, "Override: biggan or biggan-deep.", **f)
    for name in ("resolution", "num_classes", "z_dim", "g_ch", "d_ch", "embed_dim",
                 "g_attention", "d_attention", "power_iterations", "d_minibatch_kernels",
                 "d_minibatch_kernel_dim", "d_minibatch_stddev"):
        flags.DEFINE_integer(name, None, f"Override the preset's {name}.", **f)
    for name in ("fmap_base", "fmap_max", "mbstd_group_size"):
        flags.DEFINE_integer(name, None, f"Override a ProGAN preset's {name}.", **f)
    flags.DEFINE_boolean("hierarchical_z", None, "Override hierarchical z.", **f)
    for name, what in (("g_spectral_norm", "spectral norm in G"),
                       ("d_spectral_norm", "spectral norm in D"),
                       ("g_shared_embedding", "G's shared class embedding")):
        flags.DEFINE_boolean(name, None, f"Override the preset: {what}.", **f)
    flags.DEFINE_float("bn_momentum", None, "Override BN moving-average decay.", **f)
    # Data.
    flags.DEFINE_string("dataset", "digits", f"One of {', '.join(DATASETS)}.", **f)
    flags.DEFINE_string("split", "train", "Dataset split to train on.", **f)
    flags.DEFINE_string("data_dir", None, "tensorflow-datasets data_dir.", **f)
    flags.DEFINE_string("manual_dir", None,
                        "Folder with the ILSVRC2012 tars (imagenet2012).", **f)
    flags.DEFINE_string("folder", None,
                        "--dataset=folder: directory of class sub-folders.", **f)
    flags.DEFINE_integer("shuffle_buffer", DataSpec().shuffle_buffer, "Shuffle buffer (examples).", **f)
    flags.DEFINE_boolean("skip_bad_images", DataSpec().skip_bad_images,
                         "--dataset=folder: train on the readable images when some "
                         "cannot be decoded (default: stop before training).", **f)
    # Distribution and numerics.
    flags.DEFINE_enum("strategy", "default", STRATEGIES, "tf.distribute strategy.", **f)
    flags.DEFINE_string("tpu", "", "TPU name/address for TPUClusterResolver.", **f)
    flags.DEFINE_enum("precision", "float32", PRECISIONS,
                      "Compute dtype; float16 adds dynamic loss scaling.", **f)
    flags.DEFINE_boolean("jit_compile", d["jit_compile"].default, "XLA-compile the replica steps.", **f)
    flags.DEFINE_integer("seed", d["seed"].default, "Seed of init, noise, shuffling and grids.", **f)
    flags.DEFINE_boolean("deterministic", d["deterministic"].default,
                         "Deterministic ops (slower; for bitwise resumes).", **f)
    # Optimisation.
    flags.DEFINE_integer("batch_size", d["batch_size"].default, "Global batch per optimizer step.", **f)
    flags.DEFINE_integer("num_accumulations", d["num_accumulations"].default, "Micro-batches per step.", **f)
    flags.DEFINE_integer("num_steps", d["num_steps"].default, "G steps to train.", **f)
    flags.DEFINE_integer("d_steps", d["d_steps"].default, "D steps per G step.", **f)
    flags.DEFINE_float("g_lr", d["g_lr"].default, "Generator Adam learning rate.", **f)
    flags.DEFINE_float("d_lr", d["d_lr"].default, "Discriminator Adam learning rate.", **f)
    flags.DEFINE_float("beta1", d["beta1"].default, "Adam beta1.", **f)
    flags.DEFINE_float("beta2", d["beta2"].default, "Adam beta2.", **f)
    flags.DEFINE_float("adam_epsilon", d["adam_epsilon"].default, "Adam epsilon.", **f)
    flags.DEFINE_string("loss", d["loss"].default, f"One of {', '.join(sorted(LOSSES))}.", **f)
    define_lineage_flags(fv)
    define_progressive_flags(fv)
    flags.DEFINE_float("ortho_reg", d["ortho_reg"].default, "Orthogonal regularisation beta (G).", **f)
    flags.DEFINE_float("ema_decay", d["ema_decay"].default, "EMA decay of G weights.", **f)
    flags.DEFINE_integer("ema_start", d["ema_start"].default, "Step at which EMA averaging starts.", **f)
    # State and outputs.
    flags.DEFINE_integer("save_every", d["save_every"].default, "Checkpoint every N steps (0: end only).", **f)
    flags.DEFINE_integer("keep_checkpoints", d["keep_checkpoints"].default, "Checkpoints kept.", **f)
    flags.DEFINE_boolean("checkpoint_data_iterator", d["checkpoint_data_iterator"].default,
                         "Save the input iterator (default/mirrored only).", **f)
    flags.DEFINE_integer("log_every", d["log_every"].default, "Console/TensorBoard every N steps.", **f)
    flags.DEFINE_integer("sample_every", d["sample_every"].default, "Sample grid every N steps (0: end).", **f)
    flags.DEFINE_integer("grid_columns", d["grid_columns"].default, "Samples per class row.", **f)
    flags.DEFINE_integer("grid_rows", d["grid_rows"].default, "Class rows (at most num_classes).", **f)
    flags.DEFINE_integer("standing_batches", d["standing_batches"].default, "Batches per truncation for "
                         "the final standing statistics (0: none; compute them later "
                         "with `python -m tfbiggan.evaluate standing`).", **f)
    flags.DEFINE_integer("standing_batch_size", d["standing_batch_size"].default, "Batch for standing stats.", **f)
    # Evaluation hook (tfbiggan.evaluate.hook).
    flags.DEFINE_integer("eval_every", d["eval_every"].default, "Evaluate every N steps and at the end "
                         "(0: never).", **f)
    flags.DEFINE_integer("eval_num_samples", d["eval_num_samples"].default,
                         "Samples per evaluation.", **f)
    flags.DEFINE_string("eval_extractor", d["eval_extractor"].default,
                        "Feature extractor for eval: auto, classifier:PATH, "
                        "inception[:PATH].", **f)
    flags.DEFINE_string("eval_cache_dir", None,
                        "Cache of the dataset classifier and reference statistics, "
                        "shared by runs; default $TFBIGGAN_CACHE_DIR or "
                        "~/.cache/tfbiggan.", **f)


def define_lineage_flags(fv):
    """The options of the GAN lineage (tfbiggan.train.objectives); all off."""
    d = TrainConfig.__dataclass_fields__
    f = dict(flag_values=fv)
    flags.DEFINE_enum("optimizer", d["optimizer"].default, OPTIMIZERS,
                      "adam, or rmsprop (WGAN with weight clipping).", **f)
    flags.DEFINE_float("real_target", d["real_target"].default,
                       "One-sided label smoothing: D's target for real images (0.9 in "
                       "Salimans et al. 2016); non_saturating, minimax, lsgan.", **f)
    flags.DEFINE_float("d_weight_clip", d["d_weight_clip"].default,
                       "WGAN: clip D's weights to [-c, c] after each update (0: off).", **f)
    flags.DEFINE_float("gp_weight", d["gp_weight"].default,
                       "WGAN-GP: gradient penalty weight lambda (paper: 10; 0: off).", **f)
    flags.DEFINE_float("r1_gamma", d["r1_gamma"].default, "R1 penalty gamma (0: off).", **f)
    flags.DEFINE_integer("r1_interval", d["r1_interval"].default,
                         "Lazy R1: apply every N steps with gamma * N.", **f)
    flags.DEFINE_float("g_sigma_reg", d["g_sigma_reg"].default,
                       "BigGAN: weight of (sigma_0 - target)^2 on G's weights (0: off).", **f)
    flags.DEFINE_float("g_sigma_target", d["g_sigma_target"].default,
                       "... towards this fixed sigma_reg.", **f)
    flags.DEFINE_float("g_sigma_ratio", d["g_sigma_ratio"].default,
                       "... or towards r * sg(sigma_1) with this r.", **f)
    flags.DEFINE_float("g_sigma_clamp", d["g_sigma_clamp"].default,
                       "BigGAN: clamp sigma_0 of G's weights at this value after each "
                       "update (0: off).", **f)
    flags.DEFINE_float("g_sigma_clamp_ratio", d["g_sigma_clamp_ratio"].default,
                       "... or at r * sigma_1 with this r.", **f)
    flags.DEFINE_float("feature_matching", d["feature_matching"].default,
                       "Weight of the feature-matching G loss (0: off).", **f)
    flags.DEFINE_float("g_loss_weight", d["g_loss_weight"].default,
                       "Weight of G's adversarial loss; 0 with --feature_matching is "
                       "Salimans et al.'s feature-matching objective alone.", **f)
    flags.DEFINE_float("historical_averaging", d["historical_averaging"].default,
                       "Weight of the historical-averaging penalty on G and D (0: off).",
                       **f)
    flags.DEFINE_integer("virtual_batch_norm", d["virtual_batch_norm"].default,
                         "Virtual batch norm in G with a reference batch of this size "
                         "(0: off).", **f)
    flags.DEFINE_integer("singular_values_every", d["singular_values_every"].default,
                         "Log the top-3 singular values of every G and D weight every N "
                         "steps (0: off).", **f)


def define_progressive_flags(fv):
    """Progressive GAN's schedule and loss terms (tfbiggan.train.progan_step)."""
    d = TrainConfig.__dataclass_fields__
    f = dict(flag_values=fv)
    flags.DEFINE_integer("fade_images", d["fade_images"].default,
                         "ProGAN: real images per fade-in (paper: 800000).", **f)
    flags.DEFINE_integer("stable_images", d["stable_images"].default,
                         "ProGAN: real images per stabilisation (paper: 800000).", **f)
    flags.DEFINE_list("level_batch_sizes", [], "ProGAN: global batch per level, 4x4 "
                      "first (default --batch_size for all).", **f)
    flags.DEFINE_list("level_learning_rates", [], "ProGAN: G and D learning rate per "
                      "level (default --g_lr / --d_lr).", **f)
    flags.DEFINE_float("drift", d["drift"].default,
                       "ProGAN: weight of the drift term E[D(x)^2] (paper: 0.001).", **f)
    flags.DEFINE_float("class_loss_weight", d["class_loss_weight"].default,
                       "ProGAN, conditional: weight of the auxiliary class loss.", **f)
    flags.DEFINE_boolean("eval_each_resolution", d["eval_each_resolution"].default,
                         "ProGAN: evaluate when each resolution's training ends (its "
                         "images upsampled to the final size).", **f)


def _numbers(fv, name, kind):
    try:
        return tuple(kind(v) for v in getattr(fv, name))
    except ValueError:
        raise ConfigError(f"--{name}={','.join(getattr(fv, name))}: give comma-separated "
                          f"{kind.__name__} values, one per level.") from None


def _model_from_flags(fv):
    presets = all_presets()
    if fv.preset not in presets:
        raise ConfigError(f"--preset={fv.preset!r} is unknown; choose one of "
                          f"{', '.join(presets)}.")
    preset = presets[fv.preset]
    fields = _PROGAN_FIELDS if preset.architecture == "progan" else _MODEL_FIELDS
    foreign = [name for name in set(_MODEL_FIELDS + _PROGAN_FIELDS) - set(fields)
               if getattr(fv, name) is not None]
    if foreign:
        raise ConfigError(f"--{sorted(foreign)[0]} does not apply to preset {fv.preset!r} "
                          f"({preset.architecture}); its model flags are "
                          f"{', '.join('--' + n for n in fields)}.")
    overrides = {name: getattr(fv, name) for name in fields if getattr(fv, name) is not None}
    try:
        return get_any_preset(fv.preset, **overrides)
    except ValueError as error:
        message = str(error)
        named = message.split(" ", 1)[0] in fields
        raise ConfigError(f"--{message}" if named else f"Model flags: {message}") from None


def config_from_flags(fv):
    """The checked TrainConfig of parsed flags; ConfigError on the first bad one."""
    model = _model_from_flags(fv)
    data = DataSpec(name=fv.dataset, split=fv.split, data_dir=fv.data_dir,
                    manual_dir=fv.manual_dir, folder=fv.folder,
                    shuffle_buffer=fv.shuffle_buffer, skip_bad_images=fv.skip_bad_images)
    lists = {"level_batch_sizes": _numbers(fv, "level_batch_sizes", int),
             "level_learning_rates": _numbers(fv, "level_learning_rates", float)}
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"model", "data", *lists}
    values = {n: getattr(fv, n) for n in names}
    if model.architecture == "progan":
        if fv["num_steps"].present:
            raise ConfigError("--num_steps does not apply to Progressive GAN: the run's "
                              "length is set by --fade_images and --stable_images.")
        values["num_steps"] = 0  # TrainConfig takes the schedule's step count
    return TrainConfig(model=model, data=data, **lists, **values)


def config_from_argv(argv):
    """TrainConfig of a command line such as
    ``["--flagfile=configs/digits.flags", "--num_steps=10"]``, parsed on a
    private FlagValues (the global FLAGS are left alone)."""
    fv = flags.FlagValues()
    define_flags(fv)
    fv(["tfbiggan.train", *argv])
    return config_from_flags(fv)


def open_data(config):
    """Opens (prepares or scans) the training data once; ConfigError if unusable."""
    from tfbiggan.data.pipeline import DataError, open_source
    from tfbiggan.progress import Progress
    bar = Progress(0, "scanning images") if config.data.name == "folder" else None
    try:
        source = open_source(config.data, progress=bar)
    except DataError as error:
        raise ConfigError(str(error)) from None
    finally:
        if bar is not None:
            bar.close()
    if config.model.num_classes not in (1, source.num_classes):
        raise ConfigError(
            f"--dataset={config.data.name} has {source.num_classes} classes but the model "
            f"has num_classes={config.model.num_classes}; pass "
            f"--num_classes={source.num_classes} (or 1 for an unconditional model).")
    unconditional = config.model.num_classes == 1 and source.num_classes > 1
    print(f"Data: {source.describe()}"
          + ("; labels ignored (unconditional model)" if unconditional else ""), flush=True)
    return source


def run(fv, eval_hook=None):
    """Builds everything from parsed flags and trains; returns a TrainResult.

    Every check that needs no TensorFlow runtime (flags, the run directory,
    a resume's settings) runs before the strategy, the data or a model exists.
    """
    config = config_from_flags(fv)
    model_dir = fv.model_dir or os.path.join("runs", fv.preset)
    check_writable_folder("--model_dir", model_dir)
    from tfbiggan.train.resume import plan_resume
    resume = plan_resume(model_dir, config, fv.allow_setting_changes)

    import keras
    import tensorflow as tf
    from tfbiggan.train.strategy import make_strategy
    from tfbiggan.train.training_run import TrainingRun
    # Multi-worker strategies must exist before any other TF op runs.
    strategy = make_strategy(config.strategy, config.tpu)
    config.check_replicas(strategy.num_replicas_in_sync)
    source = open_data(config)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    if eval_hook is None and (config.eval_every > 0 or config.eval_each_resolution):
        from tfbiggan.evaluate.hook import make_training_eval_hook
        eval_hook = make_training_eval_hook(
            config.model, dataset=config.data.name, data_dir=config.data.data_dir,
            extractor=config.eval_extractor, num_samples=config.eval_num_samples,
            truncation=None, cache_dir=config.eval_cache_dir, seed=config.seed)
    return TrainingRun(config, strategy, model_dir, eval_hook=eval_hook,
                       data=source, resume=resume).train()


def _train(fv, positional):
    del positional
    from absl import logging
    logging.set_verbosity(logging.WARNING)  # tfds logs every file it opens
    from tfbiggan.train.signals import EXIT_CODES
    result = run(fv)
    return EXIT_CODES.get(result.stopped_by, 0) if result.stopped_by else 0


def _command():
    from tfbiggan.train.cluster import ClusterError
    from tfbiggan.train.faults import NonFiniteLossError, RunWriteError
    return Command("tfbiggan.train", define_flags, _train,
                   usage="python -m tfbiggan.train [--flagfile=configs/RECIPE.flags] "
                         "[overrides such as --num_steps=2000]",
                   codes={NonFiniteLossError: 3, RunWriteError: 4, ClusterError: 5})


COMMAND = _command()


def entry_point(argv=None):
    entry_point_of(COMMAND, argv)
