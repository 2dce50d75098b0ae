"""Helpers for tests and benchmarks, not used by the simulator itself.

- :mod:`~airpicture.testing.filters`: plain NumPy reference implementations of the tracker's compiled filter
  kernels (EKF and IMM predict and update), the differential tests' reference;
- :mod:`~airpicture.testing.detections`: straight-line targets scanned by one radar into detections and looks,
  and a driver that feeds them to a tracker window by window;
- :mod:`~airpicture.testing.results`: a results folder completed with synthetic later-stage tables at any scale
  (report and explain tests and benchmarks);
- :mod:`~airpicture.testing.tables`: Arrow tables compared by content (NaN equal to NaN);
- :mod:`~airpicture.testing.truth_picture`: fire control run on a picture made from the truth (no radar, no
  tracker), for engagement studies and tests.
"""
