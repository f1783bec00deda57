"""Documents: Word and Excel templates filled from the context contract, lint, PDF, archive."""
