"""Reports made from graded submissions: results.json, feedback, gradebook.csv and the class summary.

Every report is a pure function of `GradedSubmission` data (no clocks, no randomness), so the same
grades give the same bytes; timings appear only in results.json's `execution_time`.
"""
