"""The pull board's rules in plain Python: no framework, no database, no clock."""
