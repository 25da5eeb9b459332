"""Why a model call failed, in two families.

*Provider errors* stay inside the router: they decide between retrying the same model
(5xx, timeouts, 429), moving to the next candidate (context window, content policy, a bad
key) and opening a circuit breaker. *Domain errors* leave the router: the API maps them to
HTTP statuses (a budget refusal is a 429 with ``Retry-After`` until the period resets).
"""

from __future__ import annotations

from va_app.domain.errors import InvalidInput, RateLimited, Unavailable


class ProviderError(Exception):
    """A failed provider call. ``retryable``: the same model may succeed if asked again."""

    retryable = False
    counts_for_breaker = True  # a failure of the deployment, not of this particular request
    kind = "provider_error"

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class TransientError(ProviderError):
    """5xx, overloaded, connection reset, timeout."""

    retryable = True
    kind = "transient"


class RateLimitError(TransientError):
    """429 from the provider; honour ``retry_after_s`` when it is short."""

    kind = "rate_limited"


class ContextWindowError(ProviderError):
    """The prompt does not fit this model: a model with a larger window may take it."""

    counts_for_breaker = False
    kind = "context_window"


class ContentPolicyError(ProviderError):
    """The provider refused the content: another provider may answer it."""

    counts_for_breaker = False
    kind = "content_policy"


class ProviderAuthError(ProviderError):
    """401/403: the key is wrong or lacks access; retrying will not help."""

    kind = "auth"


class BadRequestError(ProviderError):
    """Another 4xx: the provider rejects this request shape (unknown model, bad field)."""

    kind = "bad_request"


class BudgetExceeded(RateLimited):
    """A hard budget would be exceeded by this call's worst-case cost."""

    code = "budget_exceeded"


class NoModelAvailable(Unavailable):
    """No configured model satisfies the policy (tier, allowed models, open breakers)."""

    code = "no_model_available"


class AllModelsFailed(Unavailable):
    """Every candidate failed after retries and fallbacks; ``kinds``: how each attempt failed."""

    code = "llm_unavailable"

    def __init__(self, message: str, *, kinds: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.kinds = kinds

    @property
    def refused(self) -> bool:
        """Every model asked refused the content (a content policy): a refusal, not an outage."""
        return bool(self.kinds) and all(k == ContentPolicyError.kind for k in self.kinds)


class UnknownModel(InvalidInput):
    code = "unknown_model"
