"""endnoted: watches EndNote libraries and tells whether Desktop and EndNote Web still agree.

Nothing heavy is imported here: `endnoted --help` must stay fast.
"""

__version__ = "0.1.0"
