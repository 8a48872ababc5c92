"""What one model family's export looks like: the interface that the shared
stages (``freeze``, ``checks``, ``model_card``, ``publish``) take, so that
each stage is written once for every family.

A family's registry entry (``tfbiggan.families``) names its interface:
``hub_export.biggan.INTERFACE`` (the tfhub.dev BigGAN interface) and
``hub_export.progan.INTERFACE`` (tfhub.dev's progan-128). An interface gives

- the signatures' input specs (``generator_specs``, ``discriminator_specs``),
  the hints their non-finite checks print, and what the outputs are
  (``generator_output``, ``discriminator_output``: shape and meaning);
- how G and D are called at inference (``generator_call``,
  ``discriminator_call``: functions of the signature inputs, in spec order),
  and what is folded while they are frozen (``folding``);
- the self-check's cases (``generator_cases``, ``discriminator_feed``,
  ``check_summary``);
- the model card's own fields and markdown sections (``card_fields``,
  ``card_sections``, ``usage``), and the descriptions of its inputs.
"""
import contextlib
import inspect


def named(fn, names, name):
    """``fn(*args)`` as a function whose parameters are called ``names`` (what a
    SavedModel's functions and signatures take as keywords) and whose
    ``__name__`` is ``name``."""
    def call(*args):
        return fn(*args)
    call.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    call.__name__ = call.__qualname__ = name
    return call


class ExportInterface:
    """A family's exported interface; subclasses fill in every method that
    raises NotImplementedError. All shapes have batch None."""

    # How the card names the interface ("in the interface of <title>").
    title = ""
    family_title = ""
    generator_hint = ""       # appended to a non-finite generator input's error
    discriminator_hint = ""
    graph_note = "frozen: no variables, no control flow"
    z_sampling = ""
    image_to_uint8 = ""

    def interface_text(self, config):
        """The card's ``interface`` entry for a model of ``config``."""
        del config
        return self.title

    def generator_specs(self, config):
        raise NotImplementedError

    def discriminator_specs(self, config):
        raise NotImplementedError

    def input_descriptions(self, config):
        """{input name: meaning} of every signature input."""
        raise NotImplementedError

    def generator_output(self, config):
        """(shape, meaning) of ``default``'s output."""
        raise NotImplementedError

    def discriminator_output(self, config):
        """(shape, meaning) of ``discriminator``'s output."""
        raise NotImplementedError

    def generator_call(self, generator):
        """images = f(*generator inputs in spec order), at inference."""
        raise NotImplementedError

    def discriminator_call(self, discriminator):
        """logits = f(*discriminator inputs in spec order), at inference."""
        raise NotImplementedError

    def folding(self, model):
        """A context in which ``model`` is frozen (e.g. spectral norm folded
        into its kernels); nothing by default."""
        del model
        return contextlib.nullcontext()

    def generator_cases(self, config, rng):
        """Feeds {input name: numpy} the self-check runs through G."""
        raise NotImplementedError

    def discriminator_feed(self, images, feed):
        """The feed of D for ``images`` (the export's output on ``feed``)."""
        raise NotImplementedError

    def check_summary(self, outputs):
        """More self-check facts from the outputs of ``generator_cases``."""
        del outputs
        return {}

    def card_fields(self, source):
        """The card's fields that only this interface has."""
        del source
        return {}

    def card_sections(self, card):
        """Markdown lines of the card's own sections."""
        del card
        return []

    def usage(self, card):
        """The Python lines of the card's "Use" section."""
        raise NotImplementedError
