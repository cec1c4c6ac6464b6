"""Hidden checks and the misconception catalogue of the initialization assignment (instructor side only)."""
