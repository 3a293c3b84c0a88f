"""Tawasul's AWS CDK stack: constructs composed by ``stack.TawasulStack``."""
