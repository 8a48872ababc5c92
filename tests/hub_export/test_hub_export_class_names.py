"""Class names that travel in an export's card."""
from hub_export import class_names


def test_class_names_for_known_datasets_only():
    digits = class_names.for_dataset("digits", 10)
    assert digits["names"] == [str(d) for d in range(10)]
    imagenet = class_names.for_dataset("imagenet2012", 1000)
    assert len(imagenet["names"]) == 1000 and imagenet["names"][0] == "n01440764"
    assert class_names.for_dataset("digits", 1) is None       # unconditional
    assert class_names.for_dataset("cifar10", 10) is None     # names not shipped
    assert class_names.for_dataset("imagenet2012", 10) is None
