"""Basics every stage uses: the error tree, paths, configuration."""
