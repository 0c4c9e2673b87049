"""Files: the model file format (a zip of arrays and a signed JSON manifest, bounded on
read) and atomic writes (a file appears whole or not at all)."""
