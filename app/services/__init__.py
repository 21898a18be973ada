"""Domain services: every write and every non-trivial read. Services flush; the request
boundary (or the CLI command) commits once."""
