"""Dateline: a REST API for news-article metadata."""

from .app import create_app

__all__ = ["create_app"]
