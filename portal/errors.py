"""Errors that services raise in the domain's words; views turn them into responses."""


class ServiceError(Exception):
    """A refused operation. `message` is a translatable string meant for the person."""

    status = 400

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Invalid(ServiceError):
    status = 422


class NotAllowed(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
