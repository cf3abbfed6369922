"""One module per register; each model is re-exported here so Django finds it."""
