"""Pure functions on DataFrames: aggregation, targets, status, forecasts, scores, rules."""
