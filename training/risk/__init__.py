"""The risk model: data, candidates, training, calibration, export and the quality report."""
