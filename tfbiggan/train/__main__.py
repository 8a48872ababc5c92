"""``python -m tfbiggan.train [--flagfile=configs/<recipe>.flags] [--flag=value ...]``."""
from tfbiggan.train.main import entry_point

if __name__ == "__main__":
    entry_point()
