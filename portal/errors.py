"""Domain errors shared across apps."""


class TransitionNotAllowed(Exception):
    """A state change that the current state does not allow (the API answers 409)."""
