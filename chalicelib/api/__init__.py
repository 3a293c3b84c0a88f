"""HTTP entry points: parse, authorise, call one service, shape the response.

Nothing in this package imports boto3 or PynamoDB.
"""
