"""Imports of legacy registers: reading in a child process, layout, mapping, coercion, commit."""
