"""Document families: rendered pages (layouts, handwriting, scene text) and your own PDFs."""
