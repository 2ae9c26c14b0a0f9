"""How an article is written: every write path goes through the store; revisions, the
change feed's order, preconditions, story grouping and backups live beside it."""
