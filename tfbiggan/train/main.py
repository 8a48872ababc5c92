"""``python -m tfbiggan.train``: absl flags -> TrainConfig -> TrainingRun.

The flag defaults are the paper's biggan-128 ImageNet recipe (TrainConfig).
With no flags at all it trains the CPU digits demo into ``runs/digits``: it
reads ``configs/digits.flags`` from the working directory (the repository
root) and says so. Recipes live in ``configs/*.flags``; flags given after
``--flagfile`` override the file:

  python -m tfbiggan.train --flagfile=configs/deep128.flags --data_dir=/data

Flags are read here and nowhere else.
"""
import dataclasses
import os
import sys
import typing

from absl import flags

from tfbiggan.cli import EXIT_BAD_INPUT, Command, report, run_command
from tfbiggan.data.pipeline import DataSpec
from tfbiggan.families import FAMILIES
from tfbiggan.paths import check_writable_folder
from tfbiggan.train.config import ConfigError, TrainConfig

DEFAULT_PRESET = "biggan-128"
# What `python -m tfbiggan.train` with no flags trains, relative to the
# working directory.
DEMO_FLAGFILE = os.path.join("configs", "digits.flags")
# TrainConfig fields that are not flags of their own.
_GROUPS = ("model", "data", "schedule")


def _define(fv, name, kind, default, help_text, metadata=None):
    """One absl flag for a setting of type ``kind``."""
    metadata = metadata or {}
    f = dict(flag_values=fv)
    if kind is bool:
        flags.DEFINE_boolean(name, default, help_text, **f)
    elif kind is int:
        flags.DEFINE_integer(name, default, help_text, **f)
    elif kind is float:
        flags.DEFINE_float(name, default, help_text, **f)
    elif kind is tuple:
        flags.DEFINE_list(name, list(default or ()), help_text, **f)
    elif "choices" in metadata:
        flags.DEFINE_enum(name, default, metadata["choices"], help_text, **f)
    else:  # str or Optional[str]
        flags.DEFINE_string(name, default, help_text, **f)


def _setting_fields(cls):
    """(flag name, field, type) of a settings dataclass's fields."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        if typing.get_origin(kind) is typing.Union:  # Optional[X]
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        yield field.metadata.get("flag", field.name), field, kind


def _schedule_fields():
    """{flag name: (field, type, the families whose schedule has it)}."""
    found = {}
    for family in FAMILIES:
        for name, field, kind in _setting_fields(family.load_schedule()):
            found.setdefault(name, (field, kind, []))[2].append(family)
    return found


def _model_fields():
    """{field: (type, help, the families whose config has it)}."""
    found = {}
    for family in FAMILIES:
        help_texts = family.model_help()
        for name, field, kind in _setting_fields(family.config_class):
            entry = found.setdefault(name, [kind, help_texts.get(name, ""), []])
            entry[2].append(family)
    return found


def define_flags(fv):
    """Defines every training flag on ``fv`` from the settings' declarations:
    TrainConfig's and DataSpec's fields, every family's schedule and model
    config. Defaults are the paper's biggan-128 recipe (TrainConfig)."""
    presets = ", ".join(FAMILIES.all_presets())
    flags.DEFINE_boolean("allow_setting_changes", False,
                         "Resume a run whose checkpoints were made with other training "
                         "settings; the change is recorded in its model_config.json.",
                         flag_values=fv)
    for name, field, kind in _setting_fields(TrainConfig):
        if name in _GROUPS:
            continue
        default = DEFAULT_PRESET if name == "preset" else field.default
        help_text = (f"Model preset: {presets}." if name == "preset"
                     else field.metadata["help"])
        _define(fv, name, kind, default, help_text, field.metadata)
    for name, field, kind in _setting_fields(DataSpec):
        _define(fv, name, kind, field.default, field.metadata["help"], field.metadata)
    for name, (field, kind, _) in _schedule_fields().items():
        _define(fv, name, kind, field.default, field.metadata["help"], field.metadata)
    # Model: a preset plus optional overrides of its fields (None: the preset's).
    for name, (kind, help_text, families) in _model_fields().items():
        which = "/".join(f.title for f in families)
        _define(fv, name, kind, None,
                f"Override the {which} preset's {name}" + (f": {help_text}" if help_text
                                                            else "."))


def _model_from_flags(fv, family):
    fields = family.model_fields()
    foreign = sorted(n for n in _model_fields() if n not in fields and getattr(fv, n) is not None)
    if foreign:
        raise ConfigError(f"--{foreign[0]} does not apply to preset {fv.preset!r} "
                          f"({family.title}); its model flags are "
                          f"{', '.join('--' + n for n in fields)}.")
    overrides = {name: getattr(fv, name) for name in fields if getattr(fv, name) is not None}
    try:
        return FAMILIES.get_preset(fv.preset, **overrides)
    except (TypeError, ValueError) as error:
        message = str(error)
        named = message.split(" ", 1)[0] in fields
        raise ConfigError(f"--{message}" if named else f"Model flags: {message}") from None


def _values(fv, cls):
    """{field: flag value} of a settings dataclass (lists parsed by ``item``);
    the groups that are not flags are left out."""
    values = {}
    for name, field, kind in _setting_fields(cls):
        if name in _GROUPS:
            continue
        value = getattr(fv, name)
        if kind is tuple:
            item = field.metadata.get("item", str)
            try:
                value = tuple(item(v) for v in value)
            except ValueError:
                raise ConfigError(f"--{name}={','.join(value)}: give comma-separated "
                                  f"{item.__name__} values.") from None
        values[field.name] = value
    return values


def config_from_flags(fv):
    """The checked TrainConfig of parsed flags; ConfigError on the first bad one."""
    try:
        family = FAMILIES.of_preset(fv.preset)
    except ValueError:
        raise ConfigError(f"--preset={fv.preset!r} is unknown; choose one of "
                          f"{', '.join(FAMILIES.all_presets())}.") from None
    model = _model_from_flags(fv, family)
    schedule_class = family.load_schedule()
    own = {name for name, _, _ in _setting_fields(schedule_class)}
    schedule_fields = _schedule_fields()
    foreign = sorted(n for n in schedule_fields if n not in own and fv[n].present)
    if foreign:
        owners = "/".join(f.title for f in schedule_fields[foreign[0]][2])
        raise ConfigError(f"--{foreign[0]} is a {owners} setting; it does not apply to "
                          f"preset {fv.preset!r} ({family.title}).")
    values = _values(fv, TrainConfig)
    values["model_dir"] = fv.model_dir or os.path.join("runs", fv.preset)
    if schedule_class.fixes_num_steps:
        if fv["num_steps"].present:
            raise ConfigError(
                f"--num_steps does not apply to {family.title}: the run's length is set "
                f"by its schedule ({', '.join('--' + n for n in sorted(own))}).")
        values["num_steps"] = 0  # TrainConfig takes the schedule's step count
    return TrainConfig(model=model, data=DataSpec(**_values(fv, DataSpec)),
                       schedule=schedule_class(**_values(fv, schedule_class)), **values)


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
    model_dir = config.model_dir
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
    if eval_hook is None and (config.eval_every > 0 or config.schedule.eval_each_level):
        from tfbiggan.evaluate.hook import make_training_eval_hook
        eval_hook = make_training_eval_hook(
            config.model, dataset=config.data.name, data_dir=config.data.data_dir,
            extractor=config.eval_extractor, num_samples=config.eval_num_samples,
            cache_dir=config.eval_cache_dir, seed=config.seed)
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


def with_demo_default(argv):
    """``argv`` itself, or, when it gives no flags at all, ``argv`` with the
    digits demo's flagfile (announced on the console).

    Raises:
      ConfigError: no flags, and no ``configs/digits.flags`` in the working
        directory.
    """
    if len(argv) > 1:
        return argv
    if not os.path.isfile(DEMO_FLAGFILE):
        raise ConfigError(
            f"No flags given, and no {DEMO_FLAGFILE} in {os.getcwd()} to train the "
            "digits demo from; run from the repository root, or pass "
            "--flagfile=RECIPE.flags (python -m tfbiggan.train --help lists the flags).")
    print(f"No flags given: training the digits demo (--flagfile={DEMO_FLAGFILE}).",
          flush=True)
    return [*argv, f"--flagfile={DEMO_FLAGFILE}"]


def entry_point(argv=None):
    """What ``python -m tfbiggan.train`` calls: exits with the run's code."""
    argv = list(sys.argv if argv is None else argv)
    try:
        argv = with_demo_default(argv)
    except ConfigError as error:
        report(error)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(run_command(COMMAND, argv))
