"""Ground-truth question writers, one module per family group, and the rules the filters check.

They sit between the generators (whose ground truth they read) and the engines and filters
(which ask them for questions and for the answer a question must have): `documents` for
pages (rendered and PDF corpus), `gui` for screens (rendered and HTML corpus), `clips` for
audio-visual clips (rendered and video corpus).
"""
