"""The database: opening it by URL, the Peewee models, the migrations."""
