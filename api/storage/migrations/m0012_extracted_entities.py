"""Entity lists the server extracts: which lists of an article were extracted, and by
which extractor version.

Lists stored before extraction existed were whatever the client sent, and an empty one
almost always means the client sent none: those are marked extracted by version 0, so
`dateline enrich` fills them, while a list with names stays the client's statement.
extractor_checked stays NULL on every stored row: no extractor has read them, nor made
their country index rows, which `dateline enrich` adds.
"""

NAME = "extracted entity lists"

_EMPTY = "'[]'"


def upgrade(db, dialect):
    db.execute_sql("ALTER TABLE article ADD COLUMN extracted_lists INTEGER NOT NULL DEFAULT 0")
    db.execute_sql("ALTER TABLE article ADD COLUMN extractor_version INTEGER")
    db.execute_sql("ALTER TABLE article ADD COLUMN extractor_checked INTEGER")
    bits = " + ".join(f"(CASE WHEN {column} = {_EMPTY} THEN {1 << bit} ELSE 0 END)"
                      for bit, column in enumerate(
                          ("people", "places", "organisations", "cited_sources")))
    db.execute_sql(f"UPDATE article SET extracted_lists = {bits}")  # noqa: S608 (constants)
    db.execute_sql("UPDATE article SET extractor_version = 0 WHERE extracted_lists <> 0")
