"""Generated bad input (Hypothesis) for the flags of ``tfbiggan.train``,
``tfbiggan.evaluate``, ``hub_export.export`` and ``hub_export.import_weights``.

Each example is one or more bad settings (out-of-range numbers, wrong types,
NaN and infinities, paths that are files or are missing, conflicting
options), mixed with good ones, in random order. Every bad setting is bad on
its own, so the command must refuse, whichever it checks first. Each runs
through the command's own entry (``tfbiggan.cli.run_command``, in this
process: the paths that only validate are fast) and must give exit code 2,
exactly one ``error:`` line that names one of the bad settings, no
traceback, only ``--flags`` the command has, and no file created or changed.
A few examples also run as real processes (``test_generated_cases_in_a_process``).
"""
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_flags_exist, cli_env, error_lines, snapshot

INT_AT_LEAST_1 = ("batch_size", "num_accumulations", "num_steps", "d_steps", "grid_columns",
                  "grid_rows", "keep_checkpoints", "r1_interval")
INT_AT_LEAST_0 = ("save_every", "log_every", "sample_every", "eval_every", "ema_start",
                  "standing_batches", "singular_values_every", "virtual_batch_norm")
UNIT_INTERVAL = ("beta1", "beta2", "ema_decay")           # [0, 1)
POSITIVE = ("g_lr", "d_lr", "adam_epsilon")               # > 0, finite
NON_NEGATIVE = ("ortho_reg", "gp_weight", "r1_gamma", "d_weight_clip", "feature_matching",
                "historical_averaging", "g_sigma_clamp")
MODEL_AT_LEAST_1 = ("z_dim", "g_ch", "d_ch", "embed_dim", "power_iterations")


def _enum_values():
    """{flag: its valid values}: a generated word must be none of them."""
    from tfbiggan.data.pipeline import DATASETS
    from tfbiggan.losses import LOSSES
    from tfbiggan.families import FAMILIES
    from tfbiggan.train.config import OPTIMIZERS, PRECISIONS, STRATEGIES
    return {"strategy": STRATEGIES, "precision": PRECISIONS, "optimizer": OPTIMIZERS,
            "loss": tuple(LOSSES), "preset": tuple(FAMILIES.all_presets()), "dataset": DATASETS}

words = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
not_a_number = st.sampled_from(["abc", "1e", "--", "one", "0x1g", "[]"])
non_finite = st.sampled_from(["nan", "inf", "-inf"])


def _bad(flag, values, names=None):
    """A strategy of (argv entries, the names an error may cite)."""
    names = names or (flag,)
    return values.map(lambda v: ([f"--{flag}={v}"], names))


def _float_text(x):
    return repr(float(x))


def train_cases(paths):
    """Bad settings of ``tfbiggan.train``."""
    cases = [
        *[_bad(f, st.one_of(st.integers(-10**6, 0).map(str), not_a_number,
                            st.floats(0.5, 9.5).map(_float_text))) for f in INT_AT_LEAST_1],
        *[_bad(f, st.one_of(st.integers(-10**6, -1).map(str), not_a_number))
          for f in INT_AT_LEAST_0],
        *[_bad(f, st.one_of(st.floats(1.0, 1e6).map(_float_text),
                            st.floats(-1e6, -1e-6).map(_float_text), non_finite,
                            not_a_number)) for f in UNIT_INTERVAL],
        *[_bad(f, st.one_of(st.floats(-1e3, 0.0).map(_float_text), non_finite, not_a_number))
          for f in POSITIVE],
        *[_bad(f, st.one_of(st.floats(-1e3, -1e-9).map(_float_text), non_finite))
          for f in NON_NEGATIVE],
        *[_bad(f, st.integers(-100, 0).map(str)) for f in MODEL_AT_LEAST_1],
        *[_bad(f, words.filter(lambda w, valid=valid: w not in valid))
          for f, valid in _enum_values().items()],
        _bad("real_target", st.one_of(st.floats(1.0001, 10).map(_float_text),
                                      st.floats(-10, 0).map(_float_text), non_finite)),
        _bad("eval_num_samples", st.integers(-5, 9).map(str)),
        _bad("shuffle_buffer", st.integers(-1000, 0).map(str)),
        _bad("seed", st.one_of(st.integers(-10**9, -1), st.integers(2**31, 2**40)).map(str)),
        _bad("bn_momentum", st.one_of(st.floats(1.0, 5).map(_float_text),
                                      st.floats(-5, -1e-6).map(_float_text), non_finite)),
        _bad("resolution", st.sampled_from(["7", "48", "100", "0", "-32", "1024"])),
        _bad("g_attention", st.sampled_from(["3", "7", "12", "-8"])),
        _bad("jit_compile", st.sampled_from(["maybe", "2", "yess"])),
        _bad("eval_extractor", st.sampled_from(["classifier", "vgg", "inceptio:x", ":"])),
        st.just((["--tpu=grpc://10.0.0.1:8470"], ("tpu", "strategy"))),
        st.just(([f"--folder={paths['missing']}"], ("folder", "dataset"))),
        st.just((["--manual_dir=/data/imagenet"], ("manual_dir",))),
        st.just((["--skip_bad_images"], ("skip_bad_images",))),
        st.just((["--dataset=folder"], ("folder",))),
        st.just((["--dataset=folder", f"--folder={paths['file']}"], ("folder",))),
        st.just((["--real_target=0.9", "--loss=hinge"], ("real_target", "loss"))),
        st.just((["--g_sigma_reg=1"], ("g_sigma_reg", "g_sigma_target", "g_sigma_ratio"))),
        st.just((["--g_loss_weight=0"], ("g_loss_weight", "feature_matching"))),
        st.just((["--g_sigma_clamp=1", "--g_sigma_clamp_ratio=2"],
                 ("g_sigma_clamp", "g_sigma_clamp_ratio"))),
        st.just((["--fade_images=100"], ("fade_images",))),
        st.just((["--preset=progan-digits", "--num_steps=10"], ("num_steps",))),
        st.just((["--batch_size=9", "--num_accumulations=2"], ("batch_size",))),
        st.just((["--fmap_base=16"], ("fmap_base",))),
        st.just((["--precision=float16", "--strategy=tpu"], ("precision", "tpu"))),
        st.just(([f"--model_dir={paths['file']}"], ("model_dir",))),
        st.just(([f"--model_dir={paths['file']}/run"], ("model_dir",))),
        st.just(([f"--flagfile={paths['missing']}.flags"], ("flagfile",))),
        st.just((["--no_such_flag=1"], ("no_such_flag",))),
        st.just((["positional"], ("positional",))),
    ]
    return st.one_of(cases)


GOOD_TRAIN = ["--num_steps=3", "--batch_size=16", "--g_lr=2e-4", "--log_every=1",
              "--ema_decay=0.999", "--d_steps=1"]


def evaluate_cases(paths):
    """Bad settings of ``tfbiggan.evaluate`` (a subcommand is added). An
    error may also name the run itself ("No checkpoint in <run>")."""
    run = f"--model_dir={paths['run']}"
    return st.one_of([
        _bad("num_samples", st.integers(-100, 9).map(str)),
        *[_bad(f, st.one_of(st.integers(-100, 0).map(str), not_a_number))
          for f in ("batch_size", "num_batches", "standing_batches", "samples_per_class",
                    "num_latents", "scale", "epochs")],
        _bad("standing_batch_size", st.integers(-10, 1).map(str)),
        _bad("num_steps", st.integers(-10, 1).map(str)),
        _bad("seed", st.integers(-10**6, -1).map(str)),
        _bad("truncation", st.one_of(st.floats(1.0001, 100).map(_float_text),
                                     st.floats(-100, -1e-4).map(_float_text), non_finite,
                                     not_a_number), ("truncation",)),
        _bad("truncations", st.lists(st.one_of(st.floats(1.01, 9).map(_float_text),
                                               not_a_number), min_size=1, max_size=3)
             .map(",".join), ("truncation", "truncations")),
        _bad("classes", st.sampled_from(["a", "1,x", "-1", "0,,2"])),
        _bad("pairs", st.sampled_from(["3", "a:b", "1-2", "1:", ":2"])),
        _bad("extractor", st.sampled_from(["classifier", "vgg16", "pixels:x"])),
        _bad("use_ema", st.sampled_from(["perhaps", "3"])),
        st.just(([f"--model_dir={paths['missing']}"], ("model_config.json", "model_dir"))),
        st.just(([f"--model_dir={paths['file']}"], ("model_config.json", "model_dir"))),
        st.just(([run, f"--checkpoint={paths['run']}/ckpt-99"], ("checkpoint",))),
        st.just(([run, f"--output_dir={paths['run']}"], ("output_dir",))),
        st.just(([run, f"--output_dir={os.path.dirname(paths['run'])}"], ("output_dir",))),
        st.just(([run, f"--output_dir={paths['run']}/samples"], ("output_dir",))),
        st.just(([run, "--no_such_flag"], ("no_such_flag",))),
    ])


SUBCOMMANDS = ("metrics", "sweep", "grid", "interpolate", "standing")


def export_cases(paths):
    run = f"--model_dir={paths['run']}"
    out = f"--output={paths['new']}"
    return st.one_of([
        st.just(([run], ("output",))),
        st.just(([run, f"--output={paths['run']}", "--overwrite"], ("output", "model_dir"))),
        st.just(([run, f"--output={os.path.dirname(paths['run'])}", "--overwrite"],
                 ("output", "model_dir"))),
        st.just(([run, f"--output={paths['run']}/x"], ("output", "model_dir"))),
        st.just(([run, f"--output={paths['file']}", "--overwrite"], ("output",))),
        st.just(([run, f"--output={paths['file']}/x"], ("output",))),
        st.just(([run, "--init=random", out], ("init", "preset", "model_dir"))),
        st.just((["--init=random", out], ("init", "preset"))),
        st.just(([f"--model_dir={paths['missing']}", out], ("model_config.json",))),
        st.just(([f"--model_dir={paths['file']}", out], ("model_config.json",))),
        _bad("init", words.filter(lambda w: w not in ("checkpoint", "random"))),
        *[_bad(f, st.one_of(st.integers(-100, 0).map(str), not_a_number))
          for f in ("standing_batches",)],
        _bad("standing_batch_size", st.integers(-10, 1).map(str)),
        _bad("seed", st.integers(-10**6, -1).map(str)),
        _bad("overwrite", st.sampled_from(["sometimes", "2"])),
        st.just((["--init=random", "--preset=biggan-9000", out], ("preset",))),
    ])


def import_cases(paths):
    out = f"--output={paths['new']}"
    source = f"--source={paths['source']}"
    return st.one_of([
        st.just(([source], ("source", "output"))),
        st.just(([out], ("source", "output"))),
        st.just(([f"--source={paths['missing']}", out], ("source", "missing"))),
        st.just(([f"--source={paths['file']}", out], ("source", "a_file"))),
        st.just(([source, f"--output={paths['source']}", "--overwrite"], ("output",))),
        st.just(([source, f"--output={paths['source']}/x"], ("output",))),
        st.just(([source, f"--output={paths['file']}"], ("output",))),
        st.just(([source, out, "--ignore_unused=("], ("ignore_unused",))),
        st.just(([source, out, "--ignore_unused=[a-"], ("ignore_unused",))),
        st.just(([source, out], ("neither a TF1 Hub module",))),
        _bad("check", st.sampled_from(["maybe", "10"])),
    ])


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """A tiny run record, an unknown-format source folder, a file and a
    missing path; the commands are pointed at them."""
    from tfbiggan.models import get_preset
    from tfbiggan.run import write_model_config
    root = tmp_path_factory.mktemp("generated")
    run = root / "runs" / "run"
    run.mkdir(parents=True)
    write_model_config(str(run), get_preset("tiny"), {"data": {"name": "digits"}})
    (run / "samples").mkdir()
    source = root / "source"
    source.mkdir()
    (source / "weights.bin").write_bytes(b"not weights")
    (root / "a_file").write_text("a file")
    return dict(root=str(root), run=str(run), source=str(source), file=str(root / "a_file"),
                missing=str(root / "missing"), new=str(root / "new"))


def _check(command, argv, names, paths, capsys, monkeypatch, seen):
    from tfbiggan.cli import run_command
    seen.append(argv)
    monkeypatch.chdir(paths["root"])  # a default --model_dir would land here
    before = snapshot(paths["root"])
    code = run_command(command, [command.name, *argv])
    captured = capsys.readouterr()
    output = captured.err + captured.out
    assert code == 2, (argv, output[-2000:])
    errors = error_lines(output)
    assert len(errors) == 1, (argv, output[-2000:])
    assert "Traceback" not in output
    assert any(name in errors[0] for name in names), (argv, errors[0])
    assert_flags_exist(errors[0], command)
    assert snapshot(paths["root"]) == before, argv
    assert not os.path.exists(paths["new"])


def _settings(examples):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _mixed(bad, good):
    """1-3 bad cases and some good flags, shuffled."""
    return st.tuples(st.lists(bad, min_size=1, max_size=3),
                     st.lists(st.sampled_from(good), max_size=3, unique=True),
                     st.randoms(use_true_random=False))


def _flag(entry):
    return entry.split("=", 1)[0]


def _argv(drawn):
    """The shuffled argv and the names an error may cite. A good flag that
    also appears among the bad ones is dropped: it could override one."""
    bads, goods, rng = drawn
    argv = [a for entries, _ in bads for a in entries]
    taken = {_flag(a) for a in argv}
    argv += [g for g in goods if _flag(g) not in taken]
    rng.shuffle(argv)
    return argv, tuple(n for _, names in bads for n in names)


def test_train_refuses_generated_bad_flags(paths, capsys, monkeypatch):
    from tfbiggan.train.main import COMMAND

    seen = []

    @_settings(120)
    @given(_mixed(train_cases(paths), GOOD_TRAIN))
    def case(drawn):
        argv, names = _argv(drawn)
        _check(COMMAND, [f"--model_dir={paths['root']}/new_run", *argv], names, paths,
               capsys, monkeypatch, seen)
    case()
    assert len(seen) >= 120  # every example ran (derandomized)


def test_evaluate_refuses_generated_bad_flags(paths, capsys, monkeypatch):
    from tfbiggan.evaluate.cli import COMMAND

    seen = []

    @_settings(60)
    @given(_mixed(evaluate_cases(paths), [f"--model_dir={paths['run']}", "--seed=1"]),
           st.sampled_from(SUBCOMMANDS))
    def case(drawn, subcommand):
        argv, names = _argv(drawn)
        _check(COMMAND, [subcommand, *argv], (*names, paths["run"]), paths, capsys,
               monkeypatch, seen)
    case()
    assert len(seen) >= 60  # every example ran (derandomized)


def test_export_refuses_generated_bad_flags(paths, capsys, monkeypatch):
    from hub_export.export import COMMAND

    seen = []

    @_settings(40)
    @given(_mixed(export_cases(paths), ["--nocheck", "--seed=3"]))
    def case(drawn):
        argv, names = _argv(drawn)
        _check(COMMAND, argv, (*names, paths["run"]), paths, capsys, monkeypatch, seen)
    case()
    assert len(seen) >= 40  # every example ran (derandomized)


def test_import_weights_refuses_generated_bad_flags(paths, capsys, monkeypatch):
    from hub_export.import_weights import COMMAND

    seen = []

    @_settings(30)
    @given(_mixed(import_cases(paths), ["--nocheck"]))
    def case(drawn):
        argv, names = _argv(drawn)
        _check(COMMAND, argv, names, paths, capsys, monkeypatch, seen)
    case()
    assert len(seen) >= 30  # every example ran (derandomized)


@pytest.mark.parametrize("module, argv", [
    ("tfbiggan.train", ["--beta2=nan", "--batch_size=0"]),
    ("tfbiggan.evaluate", ["grid", "--truncations=0.5,abc"]),
    ("hub_export.export", ["--init=random", "--preset=tiny", "--output={file}"]),
    ("hub_export.import_weights", ["--source={missing}", "--output={new}"]),
])
def test_generated_cases_in_a_process(module, argv, paths):
    """The in-process entry is the process's: the same code and exit code."""
    argv = [a.format(**paths) for a in argv]
    before = snapshot(paths["root"])
    result = subprocess.run([sys.executable, "-m", module, *argv], cwd=paths["root"],
                            env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(error_lines(result.stderr)) == 1 and "Traceback" not in result.stderr
    assert snapshot(paths["root"]) == before
