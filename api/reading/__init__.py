"""How articles are found: filters, sort orders with keyset cursors, counts and facets,
and each backend's full-text search."""
