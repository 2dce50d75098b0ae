"""Scoring the air picture against the truth: GOSPA and its parts, track-to-truth continuity, errors.

See :mod:`airpicture.metrics.gospa` and :mod:`airpicture.metrics.scorer` for the definitions.
"""

from airpicture.metrics.continuity import ContinuityEvents, continuity_events
from airpicture.metrics.gospa import GospaResult, assign_within_cutoff, gospa
from airpicture.metrics.scorer import DEFINITIONS, PictureScorer, Scores, score_tables, truth_at_epochs

__all__ = ["DEFINITIONS", "ContinuityEvents", "GospaResult", "PictureScorer", "Scores", "assign_within_cutoff",
           "continuity_events", "gospa", "score_tables", "truth_at_epochs"]
