"""What a use case says when it cannot do what was asked; the web and CLI turn these into words."""

from __future__ import annotations

from pullplan.domain.pull_policy import PullDecision


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    code = "not_found"

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} does not exist.")
        self.what = what
        self.key = key


class InvalidInput(ServiceError):
    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Conflict(ServiceError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PullRefused(ServiceError):
    """The pull policy said no (or asked for a reason); the decision carries every reason."""

    def __init__(self, decision: PullDecision) -> None:
        self.decision = decision
        self.code = "needs_reason" if decision.outcome == "needs_reason" else "pull_refused"
        lead = "This pull needs a reason" if self.code == "needs_reason" else "This pull is not allowed"
        super().__init__(f"{lead}: " + " ".join(decision.reasons))
