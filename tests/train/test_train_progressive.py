"""Progressive growing's schedule: phases, alpha and per-level settings."""
import pytest

from tfbiggan.train.progressive import FADE, STABILISE, GrowthSchedule


def test_schedule_walks_stabilise_then_fade_and_stabilise_per_level():
    s = GrowthSchedule(num_levels=3, fade_images=100, stable_images=50)
    assert s.phase(0) == s.phase(0).__class__(0, 1.0, STABILISE, 0)
    assert (s.phase(49).level, s.phase(49).name) == (0, STABILISE)
    assert (s.phase(50).level, s.phase(50).alpha, s.phase(50).name) == (1, 0.0, FADE)
    assert s.phase(75).alpha == pytest.approx(0.25)          # linear in images
    assert (s.phase(150).level, s.phase(150).alpha, s.phase(150).name) == (1, 1.0, STABILISE)
    assert (s.phase(200).level, s.phase(200).name, s.phase(200).alpha) == (2, FADE, 0.0)
    assert s.phase(299).alpha == pytest.approx(0.99)
    end = s.phase(10_000)                                    # stays grown
    assert (end.level, end.alpha, end.name) == (2, 1.0, STABILISE)
    assert end.images_into_phase == 10_000 - 300
    assert [s.images_to_reach(l) for l in range(3)] == [0, 50, 200]
    assert s.total_images() == 350


def test_schedule_steps_follow_each_levels_batch():
    # 4x4: 50 images at 20 (3 steps, 60 shown); level 1 fade + stable from 60
    # to 200 at 30 (5 steps, 210); level 2 from 210 to 350 at 40 (4 steps).
    s = GrowthSchedule(num_levels=3, fade_images=100, stable_images=50,
                       batch_sizes=(20, 30, 40))
    assert s.steps() == 3 + 5 + 4


def test_schedule_defaults_are_the_papers():
    s = GrowthSchedule(num_levels=9)
    assert (s.fade_images, s.stable_images) == (800_000, 800_000)


def test_schedule_per_level_settings_and_bad_values():
    s = GrowthSchedule(num_levels=2, fade_images=10, stable_images=10,
                       batch_sizes=(16, 8), learning_rates=(1e-3, 5e-4))
    assert (s.batch_size(1), s.learning_rate(1, 1e-3)) == (8, 5e-4)
    assert GrowthSchedule(num_levels=2).learning_rate(1, 2e-3) == 2e-3
    with pytest.raises(ValueError, match="one value per level"):
        GrowthSchedule(num_levels=3, batch_sizes=(16, 8))
    with pytest.raises(ValueError, match="must be > 0"):
        GrowthSchedule(num_levels=3, fade_images=0)
