"""One blueprint per resource: the views, each a few lines over the writing and
reading rooms."""
