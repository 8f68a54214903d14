"""GUI families: procedural app screens and your own HTML pages, in a locked-down Chromium."""
