"""File layout of a catalogue directory (shared by the loader and the dumper)."""

from __future__ import annotations

from typing import Final

TIERS_FILE: Final = "tiers.yaml"
LEVELS_FILE: Final = "levels.yaml"
FRAMEWORKS_FILE: Final = "frameworks.yaml"
COURSES_FILE: Final = "courses.yaml"
EXERCISES_FILE: Final = "exercises.yaml"
PATHS_FILE: Final = "paths.yaml"
ACHIEVEMENTS_FILE: Final = "achievements.yaml"
IMAGES_DIR: Final = "images"

DATA_FILES: Final = (
    TIERS_FILE,
    LEVELS_FILE,
    FRAMEWORKS_FILE,
    COURSES_FILE,
    EXERCISES_FILE,
    PATHS_FILE,
    ACHIEVEMENTS_FILE,
)
