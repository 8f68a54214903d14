"""Audio-visual families: planned clips rendered with ffmpeg and espeak-ng, and your own videos."""
