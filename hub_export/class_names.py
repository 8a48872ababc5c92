"""Class names that travel with an export (``model_card.json``, key ``labels``).

The web demo's class picker lists them. For ImageNet-1k models, such as the
official BigGAN weights, the list is the one tensorflow-datasets ships for
``imagenet2012``: the 1000 WordNet IDs (``n01440764`` ...) in sorted order,
which is the class order of ImageNet-1k and of BigGAN's one-hot ``y``.
tensorflow-datasets ships no human-readable names; the page's search box
matches the IDs (and any names a ``--labels`` file of ``hub_export.web`` adds).
"""
IMAGENET2012_FILE = "datasets/imagenet2012/labels.txt"
DIGITS = [str(d) for d in range(10)]
IMAGENET2012_CLASSES = 1000


def imagenet2012():
    """``{"names": [1000 WordNet IDs], "source": text}`` from tensorflow-datasets.

    Raises RuntimeError when the installed package's file is not 1000 IDs.
    """
    import tensorflow_datasets as tfds
    path = tfds.core.tfds_path(IMAGENET2012_FILE)
    names = path.read_text().split()
    if len(names) != IMAGENET2012_CLASSES or len(set(names)) != len(names):
        raise RuntimeError(f"{path} should hold {IMAGENET2012_CLASSES} distinct WordNet "
                           f"IDs; it holds {len(names)}.")
    return {"names": names,
            "source": f"tensorflow-datasets {tfds.__version__} {IMAGENET2012_FILE} "
                      "(WordNet IDs in ImageNet-1k class order)"}



def for_dataset(dataset, num_classes):
    """The names of a run's classes when its dataset has known ones (the
    digits demo: "0" .. "9"); None otherwise (the card then has no labels)."""
    if dataset == "digits" and num_classes == len(DIGITS):
        return {"names": list(DIGITS), "source": "the digits dataset (class i is digit i)"}
    if dataset == "imagenet2012" and num_classes == IMAGENET2012_CLASSES:
        return imagenet2012()
    return None
