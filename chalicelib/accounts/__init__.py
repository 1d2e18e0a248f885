"""Account commands run by the deployer (`python -m chalicelib.accounts bootstrap-admin`)."""
