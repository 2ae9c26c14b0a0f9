"""Marshmallow schemas: every request is validated by one, every response shaped by one."""
