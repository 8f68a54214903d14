"""omnisynth: verified synthetic multimodal training data at cluster scale."""

__version__ = "0.1.0"
