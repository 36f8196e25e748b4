"""Audit subcommands (report, explain, verify) registered on the ``dedupe`` group."""
