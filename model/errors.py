"""Errors a user can cause (and fix). The command line turns them into one line and exit code 2."""


class InputError(Exception):
    """Bad input: an unknown region or LA, a malformed scenario, an impossible parameter."""
