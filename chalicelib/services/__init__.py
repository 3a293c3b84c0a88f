"""Use cases: one function per thing a user does. They take a Principal and plain data."""
