"""Weight Initialization Lab: checks, sandboxed grading, bulk grading and reports for the course."""
