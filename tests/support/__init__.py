"""A test-only Django app: job kinds the suite needs, visible to real worker subprocesses too."""
