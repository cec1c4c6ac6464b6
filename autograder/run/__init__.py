"""Running checks against a submission in a sandboxed child process (see isolated.py)."""
