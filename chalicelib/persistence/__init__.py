"""Persistence: the only package that talks to DynamoDB. It returns domain objects."""
