"""Services hold the rules. They take explicit arguments, flush, and never commit."""
