"""The model family is the unit of extension: a third family, written here in
a few lines (a DCGAN-style G and D, its trainer and its export interface),
is registered and then trains, resumes, exports and loads through the
shared code without a change to any shared module; the registry itself
refuses a clash."""
import ast
import dataclasses
import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import REPO
from hub_export.export import export
from hub_export.interface import ExportInterface
from hub_export.source import run_source
from tfbiggan.families import FAMILIES, Family
from tfbiggan.models.base import ConfiguredModel, FrozenConfig
from tfbiggan.train.main import COMMAND, run
from tfbiggan.train.trainer_base import TrainerBase


@dataclasses.dataclass(frozen=True)
class DCGANConfig(FrozenConfig):
    """A small conditional DCGAN (Radford et al. 2016).

    Attributes:
      architecture: "dcgan".
      resolution: output side, 32.
      num_classes: width of the one-hot class vector.
      z_dim: latent width.
      ch: channels of the first feature map.
    """
    architecture: str = "dcgan"
    resolution: int = 32
    num_classes: int = 10
    z_dim: int = 16
    ch: int = 8


class DCGANGenerator(ConfiguredModel):
    """G(z [B, z_dim], y [B, classes]) -> images [B, 32, 32, 3] in [-1, 1]."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        # Named layers: the EMA copy's variables pair up with G's by path.
        self.project = keras.layers.Dense(4 * 4 * config.ch * 4, name="project")
        self.ups = [keras.layers.Conv2DTranspose(config.ch * m, 4, 2, "same", name=f"up{i}")
                    for i, m in enumerate((2, 1, 1))]
        self.out = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", name="out")

    def example_inputs(self):
        return (tf.zeros([1, self.config.z_dim]), tf.zeros([1, self.config.num_classes])), {}

    def call(self, z, y, training=False):
        x = tf.reshape(self.project(tf.concat([z, y], 1)), [-1, 4, 4, self.config.ch * 4])
        for up in self.ups:
            x = tf.nn.leaky_relu(up(x), 0.2)
        return self.out(x)

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


class DCGANDiscriminator(ConfiguredModel):
    """D(images [B, 32, 32, 3], y [B, classes]) -> logits [B] (projection)."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.convs = [keras.layers.Conv2D(config.ch * m, 4, 2, "same", name=f"conv{i}")
                      for i, m in enumerate((1, 2, 4))]
        self.linear = keras.layers.Dense(1, name="linear")
        self.embed = keras.layers.Dense(config.ch * 4, use_bias=False, name="embed")

    def example_inputs(self):
        r = self.config.resolution
        return (tf.zeros([1, r, r, 3]), tf.zeros([1, self.config.num_classes])), {}

    def call(self, images, y, training=False):
        x = images
        for conv in self.convs:
            x = tf.nn.leaky_relu(conv(x), 0.2)
        h = tf.reduce_sum(x, [1, 2])
        return self.linear(h)[:, 0] + tf.reduce_sum(self.embed(y) * h, 1)

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


class DCGANTrainer(TrainerBase):
    """Hinge loss, one D and one G update per step, on TrainerBase."""

    def __init__(self, config, strategy, log=None):
        super().__init__(config, strategy, log)
        self._step_fn = tf.function(self._iteration)

    def _replica(self, images, y):
        cfg, m = self.config, self.config.model
        n = tf.shape(images)[0]
        seed = tf.stack([tf.cast(self.step, tf.int32), cfg.seed])
        z = tf.random.stateless_normal([n, m.z_dim], seed)
        y_fake = tf.one_hot(tf.random.stateless_uniform([n], seed, 0, m.num_classes,
                                                        tf.int32), m.num_classes)
        with tf.GradientTape() as tape:
            real = self.discriminator(images, y, training=True)
            fake = self.discriminator(self.generator(z, y_fake, training=True), y_fake,
                                      training=True)
            d_loss = tf.reduce_mean(tf.nn.relu(1 - real)) + tf.reduce_mean(tf.nn.relu(1 + fake))
            scaled = d_loss / self.num_replicas  # Keras sums the replicas' gradients
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        with tf.GradientTape() as tape:
            scores = self.discriminator(self.generator(z, y_fake, training=True), y_fake)
            g_loss = -tf.reduce_mean(scores)
            scaled = g_loss / self.num_replicas
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(real),
                "d_fake": tf.reduce_mean(fake)}

    def _iteration(self, iterator):
        images, y = next(iterator)
        metrics = self.reduce_mean(self.strategy.run(self._replica, args=(images, y)))
        self.ema.update(self.step.read_value())
        self.step.assign_add(1)
        return metrics

    def iteration(self, iterator):
        return {k: float(v) for k, v in self._step_fn(iterator).items()}

    def examples_in_next_step(self):
        return self.config.batch_size


class DCGANExport(ExportInterface):
    title = "default(z, y) -> {'default': images in [-1, 1]}"
    family_title = "DCGAN"
    generator_hint = discriminator_hint = "pass finite inputs."
    z_sampling = "N(0, 1)"
    image_to_uint8 = "clip(((images + 1) / 2) * 256, 0, 255)"

    def generator_specs(self, config):
        return [tf.TensorSpec([None, config.z_dim], tf.float32, name="z"),
                tf.TensorSpec([None, config.num_classes], tf.float32, name="y")]

    def discriminator_specs(self, config):
        r = config.resolution
        return [tf.TensorSpec([None, r, r, 3], tf.float32, name="images"),
                tf.TensorSpec([None, config.num_classes], tf.float32, name="y")]

    def input_descriptions(self, config):
        return {"z": "latent ~ N(0, 1)", "y": "one-hot class", "images": "in [-1, 1]"}

    def generator_output(self, config):
        return [None, config.resolution, config.resolution, 3], "images in [-1, 1]"

    def discriminator_output(self, config):
        return [None], "logits"

    def generator_call(self, generator):
        return lambda z, y: generator(z, y, training=False)

    def discriminator_call(self, discriminator):
        return lambda images, y: discriminator(images, y, training=False)

    def generator_cases(self, config, rng):
        z = rng.standard_normal((3, config.z_dim)).astype(np.float32)
        return [{"z": z, "y": np.eye(config.num_classes, dtype=np.float32)[[0, 4, 9]]}]

    def discriminator_feed(self, images, feed):
        return {"images": images, "y": feed["y"]}

    def usage(self, card):
        return ["m = hub.load(PATH)", "images = m.signatures['default'](z=z, y=y)['default']"]


DCGAN = Family(
    name="dcgan", title="DCGAN", architectures=("dcgan",), config_class=DCGANConfig,
    presets={"dcgan-digits": DCGANConfig()}, generator=DCGANGenerator,
    discriminator=DCGANDiscriminator, schedule="tfbiggan.train.schedules:FixedSchedule",
    trainer=DCGANTrainer, export=DCGANExport(),
    not_applicable={"ortho_reg": 0.0, "num_accumulations": 1, "standing_batches": 0,
                    "d_steps": 1, "loss": "hinge", "precision": "float32"})


def _train(model_dir, data_dir, *flags):
    fv = COMMAND.flag_values()  # after registration: the family's flags exist
    fv(["tfbiggan.train", "--preset=dcgan-digits", "--dataset=digits",
        f"--data_dir={data_dir}", f"--model_dir={model_dir}", "--batch_size=8",
        "--d_steps=1", "--ortho_reg=0", "--standing_batches=0", "--log_every=1",
        "--sample_every=0", "--grid_rows=2", "--grid_columns=2", "--g_lr=2e-4", *flags])
    return run(fv)


def test_a_third_family_trains_resumes_exports_and_loads(tmp_path, digits_data_dir):
    import tensorflow_hub as hub
    model_dir = str(tmp_path / "run")
    with FAMILIES.registered(DCGAN):
        first = _train(model_dir, digits_data_dir, "--num_steps=2", "--ch=4")
        assert first.step == 2 and first.checkpoint.endswith("ckpt-2")
        with pytest.raises(Exception, match="--num_accumulations=2 does not apply to DCGAN"):
            _train(model_dir, digits_data_dir, "--num_steps=4", "--ch=4",
                   "--num_accumulations=2")
        second = _train(model_dir, digits_data_dir, "--num_steps=4", "--ch=4")
        assert second.step == 4 and os.path.exists(os.path.join(model_dir, "samples.png"))
        output, report = export(run_source(model_dir, log=lambda _: None),
                                str(tmp_path / "export"), log=lambda _: None)
        assert report["self_check"]["generator"] <= report["self_check"]["generator_tolerance"]
    module = hub.load(output)
    z = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[[1, 2]]
    images = module.signatures["default"](z=tf.constant(z), y=tf.constant(y))["default"]
    assert images.shape == (2, 32, 32, 3) and np.all(np.abs(images.numpy()) <= 1)
    logits = module.signatures["discriminator"](images=images, y=tf.constant(y))["logits"]
    assert logits.shape == (2,)
    assert "dcgan-digits" not in FAMILIES.all_presets()  # unregistered after the block


def test_the_registry_refuses_a_clash_and_names_the_families():
    with pytest.raises(ValueError, match="reuses \\['biggan'\\]"):
        FAMILIES.register(dataclasses.replace(DCGAN, architectures=("biggan",)))
    with pytest.raises(ValueError, match="registered already"):
        FAMILIES.register(dataclasses.replace(DCGAN, name="progan"))
    with pytest.raises(ValueError, match="Unknown preset 'nope'; choose one of .*tiny"):
        FAMILIES.get_preset("nope")
    assert [f.name for f in FAMILIES] == ["biggan", "progan"]


def _shared_modules():
    """The source files that are not a family's own (its model folder, its
    trainer, its export interface) nor the registry."""
    own = {"tfbiggan/families.py", "tfbiggan/train/step.py", "tfbiggan/train/progan_step.py",
           "tfbiggan/train/progressive.py", "tfbiggan/train/schedules.py",
           "hub_export/biggan.py", "hub_export/progan.py"}
    for path in sorted(glob.glob(os.path.join(REPO, "tfbiggan", "**", "*.py"), recursive=True)
                       + glob.glob(os.path.join(REPO, "hub_export", "**", "*.py"),
                                   recursive=True)):
        rel = os.path.relpath(path, REPO)
        if rel not in own and not rel.startswith(("tfbiggan/models/", "tfbiggan/layers/",
                                                  "hub_export/official/")):
            yield rel


@pytest.mark.parametrize("rel", list(_shared_modules()))
def test_no_shared_module_imports_a_family_or_tests_for_one(rel):
    """Shared code asks the registry: it imports no family's modules and
    compares nothing with a family's architecture names."""
    tree = ast.parse(open(os.path.join(REPO, rel), encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
            assert not any("progan" in n or n.endswith(".biggan") or n == "tfbiggan.models.biggan"
                           for n in names), f"{rel}:{node.lineno} imports a family"
        if isinstance(node, ast.Compare):
            for const in ast.walk(node):
                if isinstance(const, ast.Constant) and const.value in (
                        "progan", "biggan", "biggan-deep"):
                    pytest.fail(f"{rel}:{node.lineno} compares with {const.value!r}")
