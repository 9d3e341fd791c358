"""People, their roles, sign-in, resident sign-up and verification."""
