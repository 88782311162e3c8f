"""Loa: broadcast automation for Vietnam's grassroots loudspeaker radio."""

__version__ = "0.1.0"
