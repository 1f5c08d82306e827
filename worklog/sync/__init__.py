"""One log on several machines: merging copies (git's merge driver, conflict copies)."""
