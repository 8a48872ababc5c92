"""The training run the command-line tables point their commands at."""
import pytest

from cli_helpers import run_cli, train_command


@pytest.fixture(scope="session")
def tiny_cli_run(tmp_path_factory, digits_data_dir):
    """A real two-step CLI run (one D step): ckpt-1 (no standing
    statistics) and ckpt-2, its data iterator checkpointed. Rows copy it."""
    model_dir = str(tmp_path_factory.mktemp("cli_run") / "run")
    result = run_cli(train_command(model_dir, digits_data_dir, "--num_steps=2",
                                   "--save_every=1", "--log_every=1", "--d_steps=1"))
    assert result.returncode == 0, result.stderr[-3000:]
    return model_dir
