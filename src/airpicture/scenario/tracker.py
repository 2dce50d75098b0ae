"""The tracker's settings (motion model, association, confirmation, deletion, capacity) and scoring."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from airpicture.scenario.base import DAY_S, Strict, _doc, sane


class CvModel(Strict):
    """Nearly-constant-velocity motion (white-noise acceleration)."""

    kind: Literal["cv"] = "cv"
    accel_sigma_mps2: float = _doc("Process noise: white acceleration standard deviation, m/s^2", default=5.0, gt=0,
                                   le=1e4)


class BallisticModel(Strict):
    """Constant velocity plus known gravity (-9.81 m/s^2 up) with white-acceleration noise."""

    kind: Literal["ballistic"] = "ballistic"
    accel_sigma_mps2: float = _doc("Process noise, m/s^2", default=5.0, gt=0, le=1e4)


class ImmModel(Strict):
    """Interacting multiple models: a quiet CV model and a manoeuvring model (a high-noise CV, or a pair of
    coordinated turns left and right at ``turn_rate_deg_s``). The defaults -- quiet flight at 1 m/s^2 and
    standard-rate turns (3 deg/s) with 3 m/s^2 -- are the tracker's default model, chosen on recorded air
    traffic (see BENCHMARKS.md)."""

    kind: Literal["imm"] = "imm"
    accel_sigma_mps2: float = _doc("Process noise of the quiet CV model, m/s^2", default=1.0, gt=0, le=1e4)
    manoeuvre: Literal["cv", "ct"] = _doc("Second model: high-noise CV, or coordinated turns left and right",
                                          default="ct")
    manoeuvre_accel_sigma_mps2: float = _doc("Process noise of the manoeuvring model(s), m/s^2", default=3.0, gt=0,
                                             le=1e4)
    turn_rate_deg_s: float = _doc("Turn rate of the coordinated-turn models (manoeuvre = 'ct'), degrees/s",
                                  default=3.0, gt=0, le=90)
    switch_probability: float = _doc("Probability of leaving a model per second (below 0.5)", default=0.05, gt=0,
                                     lt=0.5)


TrackerModel = Annotated[CvModel | BallisticModel | ImmModel, Field(discriminator="kind")]


#: vertical velocity prior of a new track unless configured (or the model is ballistic), m/s
DEFAULT_VERTICAL_SPEED_PRIOR_MPS = 30.0


class TrackerConfig(Strict):
    """The multi-target tracker building the air picture from all sensors' detections."""

    model: TrackerModel = _doc(
        "Motion model (default: the IMM of quiet flight and standard-rate turns, see ImmModel; a manoeuvre harder "
        "than the model expects is caught by manoeuvre_recovery_accel_mps2)", default_factory=ImmModel)
    association: Literal["gnn", "jpda"] = _doc("Data association", default="gnn")
    confirmed_first: bool = _doc(
        "Confirmed tracks take the detections first (by the chosen association); tentative tracks then take the "
        "detections they left by GNN (a hard decision per look, so a candidate born of a false alarm is not held "
        "alive by partial updates, and a new candidate cannot take a confirmed track's detection). False: all "
        "tracks associate jointly", default=True)
    defer_at_window_end: bool = _doc(
        "With confirmed_first: a new track (one detection so far) whose azimuth gate the beam has not yet left "
        "at the end of a window associates in the next window, with the detections that follow, so that two "
        "new targets close together are not mixed up by where the window ends (its detections wait at most one "
        "window; confirmed tracks never wait)", default=True)
    new_targets: Literal["adaptive", "none"] = _doc(
        "'adaptive': the density against which an association is scored is at least that of the detections "
        "that started new tracks over each radar's last rotation (false alarms and new targets), spread over its "
        "coverage -- when many targets appear at once, a candidate track then does not take a neighbour's "
        "detection for want of another explanation; 'none': the clutter density alone", default="adaptive")
    manoeuvre_recovery_accel_mps2: float | None = _doc(
        "Manoeuvre recovery: a confirmed track that a look swept without a detection in its gate tries the "
        "detections no confirmed track took once more, predicted with this white-acceleration noise (m/s^2; the "
        "model's own where larger), and is updated with it -- a target turning harder than the model expects is "
        "kept instead of lost and re-started; omit to turn off", default=20.0, gt=0, le=1e4)
    gate_probability: float = _doc("Chi-square gate probability", default=0.9999, gt=0, lt=1)
    detection_probability: float = _doc("Pd assumed by JPDA and the track score", default=0.9, gt=0, le=1)
    clutter_density: float | None = _doc(
        "False-alarm density assumed by the association, per m^3; omit to derive it from each radar (Pfa per "
        "resolution cell, plus its clutter regions): uniform per cell, as a constant-false-alarm-rate radar gives",
        default=None, gt=0, le=1.0)
    initial_speed_sigma_mps: float = _doc(
        "Velocity prior of a new track (single-point initiation): standard deviation of each horizontal velocity "
        "component, m/s", default=300.0, gt=0, le=1e5)
    initial_vertical_speed_sigma_mps: float | None = _doc(
        "Velocity prior of a new track along the local vertical (at the detection), m/s; omit for 30 m/s "
        "(aircraft, cruise missiles and drones rarely climb or descend faster), or initial_speed_sigma_mps with "
        "the ballistic model (a ballistic missile climbs and falls at kilometres per second)", default=None, gt=0,
        le=1e5)
    confirmation: Literal["score", "m_of_n"] = _doc(
        "'score': sequential test on the track score (the log likelihood ratio of target against false alarms, "
        "summed over the track's looks: each hit adds ln Pd + ln N(innovation) - ln(clutter density), each miss "
        "ln(1 - Pd); Blackman & Popoli 1999, sec. 6.2): a tentative track is confirmed when its score reaches "
        "confirm_score and deleted when it falls below tentative_delete_score; a confirmed track is deleted "
        "when its score falls delete_score_drop below its highest -- so confirmation comes sooner where false "
        "alarms are sparse and later where they are dense, and deletion waits longer where Pd is low. "
        "'m_of_n': confirm after confirm_m hits in the first confirm_n looks, delete after delete_misses "
        "consecutive misses", default="score")
    confirm_score: float = _doc("confirmation = 'score': confirm a tentative track when its score reaches this "
                                "(a false alarm's candidate reaches a score s with probability at most e^-s)",
                                default=6.0, gt=0, le=100)
    confirm_min_hits: int = _doc(
        "confirmation = 'score': a tentative track is confirmed only once it has this many hits as well (the score "
        "alone needs two; fire control waits for a firm velocity itself: firm_track_velocity_sigma_mps)",
        default=1, ge=1, le=100)
    confirm_false_rate: float = _doc(
        "confirmation = 'score': false confirmations tolerated per scan and radar; where false alarms are dense "
        "the threshold rises above confirm_score to ln(false alarms per scan / this) -- each false alarm starts a "
        "candidate, which reaches a score s with probability at most e^-s -- the false alarms per scan from each "
        "radar's Pfa, resolution cells and clutter regions over its coverage (or clutter_density)",
        default=0.05, gt=0, le=10)
    tentative_delete_score: float = _doc("confirmation = 'score': delete a tentative track whose score falls "
                                         "below this", default=-3.0, lt=0, ge=-100)
    delete_score_drop: float = _doc(
        "confirmation = 'score': delete a confirmed track whose score falls this far below its highest (ln 1000 "
        "= 6.9: three misses at Pd 0.9, six at Pd 0.7)", default=5.5, gt=0, le=100)
    detection_probability_estimate: bool = _doc(
        "Estimate each radar's Pd from the looks at confirmed tracks (hits / looks, starting from "
        "detection_probability as a prior worth detection_probability_prior_looks looks) and use it in the track "
        "score and JPDA; false: detection_probability throughout", default=True)
    detection_probability_prior_looks: float = _doc(
        "Weight of detection_probability in the Pd estimate, in looks", default=50.0, gt=0, le=1e9)
    confirm_m: int = _doc("confirmation = 'm_of_n': confirm a track after M hits ...", default=3, ge=1, le=1000)
    confirm_n: int = _doc("... in its first N looks", default=4, ge=1, le=1000)
    delete_misses: int = _doc(
        "confirmation = 'm_of_n': delete a confirmed track after this many consecutive misses (also sets the "
        "default coast limit, delete_coast_s)", default=3, ge=1, le=1000)
    delete_position_sigma_m: float = _doc("Delete a track whose position sigma exceeds this, metres",
                                          default=10e3, gt=0, le=1e7)
    picture_max_misses: int | None = _doc(
        "A confirmed track missed by more than this many looks in a row stays in the tracker (a detection brings "
        "it back, under the same id) but is left out of the published picture until then -- where Pd is low the "
        "score rule keeps a track through several misses, and a target that has landed or gone should not linger "
        "in the picture meanwhile; omit to publish every confirmed track", default=2, ge=0, le=1000)
    picture_max_age_scans: float | None = _doc(
        "A confirmed track not updated for longer than this many scans of the slowest radar is left out of the "
        "published picture until a detection brings it back (same id) -- the tracks no look sweeps, so that "
        "picture_max_misses never counts a miss: over a radar's cone of silence, beyond its range or below its "
        "horizon. The default, 4, gives them one scan more than picture_max_misses = 2 gives a missed track; omit "
        "to publish them however long they coast", default=4.0, gt=0, le=1e6)
    picture_in_coverage: bool = _doc(
        "Leave out of the published picture a confirmed track predicted above every radar's highest elevation "
        "(the cone of silence over a radar): it coasts on and comes back under the same id when a radar sees its "
        "target again, but meanwhile no radar supports it. Off by default: a radar sits by what it defends, and "
        "the threat diving on it crosses its cone last", default=False)
    delete_outside_coverage: bool = _doc(
        "Delete a track as soon as its predicted position lies beyond every radar's instrumented range or below "
        "every radar's horizon (by more than one standard deviation of the prediction): no radar can see its "
        "target any more", default=True)
    delete_coast_s: float | None = _doc(
        "Delete a track not updated for this long, seconds (omit: one more than the misses that delete a confirmed "
        "track -- delete_misses, or those taking its score delete_score_drop down at the current Pd estimate -- "
        "times the longest scan period); "
        "catches tracks that no radar looks at (predicted outside every coverage)", default=None, gt=0, le=1e9)
    capacity: int | None = _doc("Track capacity (default: the first battery's track_capacity, else 100)",
                                default=None, ge=0, le=10_000_000)
    capacity_rule: Literal["keep_existing", "keep_threatening"] = _doc(
        "At capacity: refuse newcomers, or drop the confirmed track farthest from every asset for a closer one",
        default="keep_existing",
    )

    @property
    def vertical_speed_prior_mps(self) -> float:
        """The vertical velocity prior of a new track in use (see ``initial_vertical_speed_sigma_mps``), m/s."""
        if self.initial_vertical_speed_sigma_mps is not None:
            return self.initial_vertical_speed_sigma_mps
        return self.initial_speed_sigma_mps if self.model.kind == "ballistic" else DEFAULT_VERTICAL_SPEED_PRIOR_MPS

    @model_validator(mode="after")
    def _m_of_n(self) -> Self:
        if self.confirm_m > self.confirm_n:
            raise ValueError("confirm_m must not exceed confirm_n")
        return self


class MetricsConfig(Strict):
    """How the picture is scored against the truth."""

    gospa_cutoff_m: float = _doc("GOSPA cut-off distance c, metres (p = 2, alpha = 2)", default=5000.0, gt=0, le=1e7)
    picture_period_s: float = _doc("Epoch spacing at which the picture is scored and published, seconds",
                                   default=1.0, gt=0, le=DAY_S)

    _sane_picture_period = sane("picture_period_s", lo=0.01, why="an air picture is published every few seconds; "
                                "epochs less than 10 ms apart show nothing the radars (scanning every second or "
                                "more) could")
