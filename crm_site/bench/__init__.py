"""The benchmark suite behind ``manage.py bench`` (issue: speed at scale).

``seed`` fills the configured database with a realistic dataset by COPY (PostgreSQL) or bulk
inserts (SQLite); ``measure`` times each figure as a median over repeated runs with its SQL query
count and, beside it, PostgreSQL's own execution time for the main query (the floor).
"""
