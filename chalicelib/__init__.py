"""Tawasul: a serverless sales-CRM backend."""
