"""Helpers of the composite Action (action.yml): input validation and step outputs.

Standard library only: they run on the runner's python3 before any venv exists.
"""
