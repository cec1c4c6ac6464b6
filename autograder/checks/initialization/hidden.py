"""Hidden checks of the initialization assignment: compare with the reference on fresh inputs."""

from ...labkit.framework import Check

HIDDEN_CHECKS: list[Check] = []
