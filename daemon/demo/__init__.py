"""Demo data: the synthetic-library builder and the demo library."""
