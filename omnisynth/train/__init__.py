"""Training on the shards: the omni model, the staged trainer, its data reader, evaluation and curricula.

Reads shards through `omnisynth.datasets` only; nothing here imports the annotation side
(`omnisynth.model`) or the pipelines.
"""
