"""The LLM router: implements ``LLMRouter`` from ``contracts.py``.

Per call: resolve the tenant's available models (cached), pick and order candidates by the
policy (``policies.py``), then try the candidates in order: retries with exponential backoff
and full jitter on 5xx/timeouts/429, fallback to the next candidate on errors, context-window
overflow or content-policy refusal, and a circuit breaker per deployment (``breaker.py``).

Money: before a candidate is called, the budgets (``budgets.py``) must hold its cost bound,
the prompt estimate plus the output cap sent to that model (``max_tokens``) at that model's
price, which the real cost cannot exceed. The first candidate's bound is reserved; a fallback
to a pricier one reserves only the difference (a refusal ends the call: a hard budget is not
worked around). The reservations are settled with the actual cost (catalog price x reported
tokens), releasing the rest at once, and the usage is attributed to tenant, agent, version,
key and end user. (Reserving the most expensive candidate's bound for every call held ~16x a
typical turn's cost, gpt-4o behind gpt-4o-mini, and left half a hard budget unusable.)
Everything on this path is in-process except one Redis round trip for the budget (only when
budgets apply and the call can cost anything) and one for the usage counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from core import keys
from core.cache import awaited, get_redis
from core.config import Settings, get_settings
from core.metrics import LLM_CALLS, LLM_COST, LLM_ERRORS, LLM_LATENCY, LLM_TOKENS
from core.tracing import span
from va_app.domain.llm import policies
from va_app.domain.llm.breaker import CircuitBreakers
from va_app.domain.llm.catalog import LOCAL, ModelDeployment, TenantLLMConfig, Wire, resolve
from va_app.domain.llm.contracts import Attribution, LLMRequest, LLMResult, StreamChunk
from va_app.domain.llm.errors import AllModelsFailed, ContextWindowError, ProviderError, TransientError
from va_app.domain.llm.ledger import Reservation
from va_app.domain.llm.providers import Provider, ProviderCall, ProviderResponse, default_providers
from va_app.domain.llm.providers.local import last_user_message
from va_app.domain.llm.tokens import estimate_messages

log = logging.getLogger(__name__)
ConfigLoader = Callable[[uuid.UUID], Awaitable[TenantLLMConfig]]
LATENCY_SHARE_S = 5.0
MAX_RETRY_AFTER_S = 2.0


class BudgetPort(Protocol):
    """What the router needs from budgets (``budgets.BudgetGuard`` in the app)."""

    async def reserve(self, attribution: Attribution, worst_case_usd: float) -> Reservation | None: ...

    async def settle(self, reservation: Reservation, actual_usd: float) -> None: ...

    async def release(self, reservation: Reservation) -> None: ...


class UsagePort(Protocol):
    """Where each call's tokens and cost are attributed (``usage.UsageRecorder`` in the app)."""

    async def record(
        self, attribution: Attribution, model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float
    ) -> None: ...


@dataclass(slots=True)
class _Plan:
    started: float
    candidates: list[ModelDeployment]
    prompt_estimate: int
    reservations: list[Reservation] = field(default_factory=list)  # the first one is settled, the rest released
    covered_usd: float = 0.0  # the cost bound the reservations hold
    extra: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # each failure's kind, for AllModelsFailed.refused
    attempts: int = 0


async def _no_config(_tenant_id: uuid.UUID) -> TenantLLMConfig:
    return TenantLLMConfig()


class Router:
    def __init__(
        self,
        *,
        settings: Settings | None = None,
        config_loader: ConfigLoader = _no_config,
        providers: dict[Wire, Provider] | None = None,
        budgets: BudgetPort | None = None,
        usage: UsagePort | None = None,
        breakers: CircuitBreakers | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        share_latency: bool = False,
    ) -> None:
        self.settings = settings or get_settings()
        llm = self.settings.llm
        self.config_loader = config_loader
        self.providers = providers or default_providers()
        self.budgets = budgets
        self.usage = usage
        self.breakers = breakers or CircuitBreakers(llm.breaker_failures, llm.breaker_open_s)
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.share_latency = share_latency
        self.max_retries = llm.max_retries
        self.retry_base_s = llm.retry_base_s
        self.timeout_s = llm.request_timeout_s
        self._resolved: dict[uuid.UUID, tuple[TenantLLMConfig, dict[str, ModelDeployment]]] = {}
        self._last_share = 0.0
        self._share_task: asyncio.Task[None] | None = None

    # --- catalog and health ------------------------------------------------------------
    async def available(self, tenant_id: uuid.UUID) -> dict[str, ModelDeployment]:
        """The tenant's usable models; re-resolved only when its configuration object changes."""
        config = await self.config_loader(tenant_id)
        hit = self._resolved.get(tenant_id)
        if hit is not None and hit[0] is config:
            return hit[1]
        deployments = resolve(self.settings, config, str(tenant_id))
        self._resolved[tenant_id] = (config, deployments)
        return deployments

    def health(self) -> list[dict[str, object]]:
        """Every deployment this process has called: breaker state, failures, latency EWMA."""
        return self.breakers.snapshot()

    async def tenant_health(self, tenant_id: uuid.UUID) -> list[dict[str, object]]:
        """Per model the tenant can use (never another tenant's own deployments)."""
        out = []
        for name, dep in sorted((await self.available(tenant_id)).items()):
            self.breakers.state(dep.id)
            h = self.breakers.get(dep.id, name).public()
            out.append({**h, "model": name, "provider": dep.model.provider, "deployment": dep.model.provider})
        return out

    # --- the contract ------------------------------------------------------------------
    async def complete(self, request: LLMRequest) -> LLMResult:
        with span("llm.route", tenant_id=str(request.attribution.tenant_id), forced_model=request.model) as current:
            plan = await self._plan(request)
            try:
                result = await self._run(plan, request)
            except BaseException:
                await self._release(plan)
                raise
            await self._finish(plan, request, result)
            if current is not None:
                current.set_attribute("llm.model", result.model)
                current.set_attribute("llm.attempts", result.attempts)
            return result

    async def stream(self, request: LLMRequest) -> AsyncIterator[StreamChunk]:
        plan = await self._plan(request)
        finished = False
        try:
            async for chunk in self._run_stream(plan, request):
                if chunk.result is not None:
                    await self._finish(plan, request, chunk.result)
                    finished = True
                yield chunk
        finally:
            if not finished:
                await self._release(plan)

    # --- planning ----------------------------------------------------------------------
    async def _plan(self, request: LLMRequest) -> _Plan:
        started = time.perf_counter()
        available = await self.available(request.attribution.tenant_id)
        prompt = estimate_messages(request.messages)
        policy = request.policy
        selection = policies.select(
            available,
            policy,
            forced_model=request.model,
            prompt_tokens=prompt,
            last_user_message=last_user_message(request.messages) if policy.routing == "complexity" else "",
            is_open=lambda dep_id: not self.breakers.available(dep_id),
            latency_of=self.breakers.latency,
            rng=self.rng,
        )
        candidates = list(selection.candidates)
        local = available.get(LOCAL)
        if (
            self.settings.llm.local_last_resort
            and local is not None
            and request.model is None
            and local not in candidates
            and (not policy.allowed_models or LOCAL in policy.allowed_models)
        ):
            candidates.append(local)
        plan = _Plan(started, candidates, prompt)
        if selection.degraded_tier:
            plan.extra["degraded_tier"] = True
        if selection.complexity is not None:
            plan.extra["complexity"] = selection.complexity
        return plan

    @staticmethod
    def _max_tokens(dep: ModelDeployment, request: LLMRequest) -> int:
        """The output cap sent to ``dep``: what bounds the completion it can bill."""
        return min(request.policy.max_output_tokens, dep.model.max_output_tokens)

    async def _cover(self, plan: _Plan, request: LLMRequest, dep: ModelDeployment) -> None:
        """Make the budgets hold ``dep``'s cost bound before it is called.

        Only what the reservations do not hold yet is reserved, so a fallback to a cheaper
        model costs no Redis call and one to a pricier model reserves the difference. A refusal
        (:class:`BudgetExceeded`) ends the call: a hard budget is not worked around by
        falling through to other models.
        """
        if self.budgets is None:
            return
        bound = dep.model.cost(plan.prompt_estimate, self._max_tokens(dep, request))
        if bound <= plan.covered_usd:
            return
        reservation = await self.budgets.reserve(request.attribution, bound - plan.covered_usd)
        if reservation is not None:
            plan.reservations.append(reservation)
        plan.covered_usd = bound

    def _call(self, dep: ModelDeployment, request: LLMRequest) -> ProviderCall:
        return ProviderCall(
            deployment=dep,
            messages=request.messages,
            max_tokens=self._max_tokens(dep, request),
            temperature=request.policy.temperature,
            timeout_s=self.timeout_s,
            knowledge=request.knowledge,
            request_id=request.request_id,
        )

    async def _retry_same(self, dep: ModelDeployment, exc: ProviderError, retry: int) -> bool:
        """Record the failure; sleep and return True when the same deployment deserves another try."""
        self.breakers.record_failure(dep.id, dep.model.name, str(exc), counts=exc.counts_for_breaker)
        if not exc.retryable or retry >= self.max_retries or not self.breakers.available(dep.id):
            return False
        if exc.retry_after_s is not None and exc.retry_after_s > MAX_RETRY_AFTER_S:
            return False  # a long wait is better spent on the next candidate
        delay = self.rng.uniform(0, self.retry_base_s * 2**retry)
        if exc.retry_after_s is not None:
            delay = max(delay, exc.retry_after_s)
        await self.sleep(delay)
        return True

    @staticmethod
    def _reorder_after(exc: ProviderError, dep: ModelDeployment, rest: list[ModelDeployment]) -> list[ModelDeployment]:
        """After a context-window error, models with a larger window go first."""
        if not isinstance(exc, ContextWindowError):
            return rest
        larger = [d for d in rest if d.model.context_window > dep.model.context_window]
        return larger + [d for d in rest if d not in larger]

    def _result(self, plan: _Plan, dep: ModelDeployment, resp: ProviderResponse) -> LLMResult:
        first = plan.candidates[0].model.name if plan.candidates else dep.model.name
        extra = dict(plan.extra)
        if plan.errors:
            extra["errors"] = plan.errors
        return LLMResult(
            text=resp.text,
            model=dep.model.name,
            provider=dep.model.provider,
            prompt_tokens=resp.prompt_tokens,
            completion_tokens=resp.completion_tokens,
            cost_usd=dep.model.cost(resp.prompt_tokens, resp.completion_tokens),
            latency_ms=round((time.perf_counter() - plan.started) * 1000, 3),
            attempts=plan.attempts,
            fallback_from=first if first != dep.model.name else None,
            finish_reason=resp.finish_reason,
            extra=extra,
        )

    # --- running -----------------------------------------------------------------------
    async def _run(self, plan: _Plan, request: LLMRequest) -> LLMResult:
        queue = list(plan.candidates)
        while queue:
            dep = queue.pop(0)
            await self._cover(plan, request, dep)
            provider = self.providers[dep.model.wire]
            call = self._call(dep, request)
            retry = 0
            while True:
                if not self.breakers.acquire(dep.id, dep.model.name):
                    plan.errors.append(f"{dep.model.name}: circuit open")
                    plan.kinds.append("circuit_open")
                    break
                plan.attempts += 1
                started = time.perf_counter()
                try:
                    with span(
                        "llm.provider", kind="client", provider=dep.model.provider, model=dep.model.name, attempt=retry
                    ):
                        async with asyncio.timeout(self.timeout_s):
                            resp = await provider.complete(call)
                except TimeoutError:
                    exc: ProviderError = TransientError(f"no answer within {self.timeout_s} s")
                except ProviderError as err:
                    exc = err
                else:
                    self._succeeded(dep, started)
                    _observe(dep, started, resp)
                    return self._result(plan, dep, resp)
                _observe_error(dep, started, exc)
                plan.errors.append(f"{dep.model.name}: {exc.kind}: {str(exc)[:200]}")
                plan.kinds.append(exc.kind)
                if await self._retry_same(dep, exc, retry):
                    retry += 1
                    continue
                queue = self._reorder_after(exc, dep, queue)
                break
        raise AllModelsFailed("no model could answer: " + "; ".join(plan.errors[-5:]), kinds=tuple(plan.kinds))

    async def _run_stream(self, plan: _Plan, request: LLMRequest) -> AsyncIterator[StreamChunk]:
        queue = list(plan.candidates)
        while queue:
            dep = queue.pop(0)
            await self._cover(plan, request, dep)
            provider = self.providers[dep.model.wire]
            call = self._call(dep, request)
            retry = 0
            while True:
                if not self.breakers.acquire(dep.id, dep.model.name):
                    plan.errors.append(f"{dep.model.name}: circuit open")
                    plan.kinds.append("circuit_open")
                    break
                plan.attempts += 1
                started = time.perf_counter()
                emitted = False
                final: ProviderResponse | None = None
                try:
                    async for event in provider.stream(call):
                        if event.final is not None:
                            final = event.final
                        elif event.delta:
                            emitted = True
                            yield StreamChunk(delta=event.delta)
                except ProviderError as exc:
                    _observe_error(dep, started, exc)
                    plan.errors.append(f"{dep.model.name}: {exc.kind}: {str(exc)[:200]}")
                    plan.kinds.append(exc.kind)
                    if emitted:  # the client already has part of an answer: no silent switch
                        self.breakers.record_failure(dep.id, dep.model.name, str(exc), counts=exc.counts_for_breaker)
                        raise AllModelsFailed(f"the stream from {dep.model.name} broke off: {exc}") from exc
                    if await self._retry_same(dep, exc, retry):
                        retry += 1
                        continue
                    queue = self._reorder_after(exc, dep, queue)
                    break
                self._succeeded(dep, started)
                resp = final or ProviderResponse("", plan.prompt_estimate, 0)
                _observe(dep, started, resp)
                yield StreamChunk(delta="", done=True, result=self._result(plan, dep, resp))
                return
        raise AllModelsFailed("no model could answer: " + "; ".join(plan.errors[-5:]), kinds=tuple(plan.kinds))

    def _succeeded(self, dep: ModelDeployment, started: float) -> None:
        self.breakers.record_success(dep.id, dep.model.name, (time.perf_counter() - started) * 1000)
        if self.share_latency and time.monotonic() - self._last_share > LATENCY_SHARE_S:
            self._last_share = time.monotonic()
            if self._share_task is None or self._share_task.done():
                self._share_task = asyncio.get_running_loop().create_task(self._share_latencies())

    async def _share_latencies(self) -> None:
        """Publish this process's EWMAs and adopt others' for deployments not measured here."""
        try:
            mine = {
                str(h["deployment"]): str(h["latency_ewma_ms"])
                for h in self.breakers.snapshot()
                if h["latency_ewma_ms"] is not None
            }
            client = get_redis()
            if mine:
                await awaited(client.hset(keys.LLM_LATENCY_EWMA, mapping=mine))
            shared: dict[bytes, bytes] = await awaited(client.hgetall(keys.LLM_LATENCY_EWMA))
            for dep_id, value in shared.items():
                self.breakers.seed_latency(dep_id.decode(), dep_id.decode(), float(value))
        except Exception:  # latency sharing is an optimisation; the call path must not care
            log.warning("could not share latency EWMAs through Redis", exc_info=True)

    # --- money -------------------------------------------------------------------------
    async def _finish(self, plan: _Plan, request: LLMRequest, result: LLMResult) -> None:
        """Settle to the real cost: the first reservation takes it, the others are released."""
        reservations, plan.reservations = plan.reservations, []
        if reservations and self.budgets is not None:
            for extra in reservations[1:]:
                await self.budgets.release(extra)
            await self.budgets.settle(reservations[0], result.cost_usd)
        if self.usage is not None:
            await self.usage.record(
                request.attribution, result.model, result.prompt_tokens, result.completion_tokens, result.cost_usd
            )

    async def _release(self, plan: _Plan) -> None:
        reservations, plan.reservations = plan.reservations, []
        if self.budgets is None:
            return
        for reservation in reservations:
            with contextlib.suppress(Exception):  # it expires by itself if Redis is unreachable now
                await self.budgets.release(reservation)


def _observe(dep: ModelDeployment, started: float, resp: ProviderResponse) -> None:
    """Prometheus figures of one answered provider call (latency, tokens, cost)."""
    provider, model = dep.model.provider, dep.model.name
    LLM_CALLS.labels(provider, model, "ok").inc()
    LLM_LATENCY.labels(provider, model).observe(time.perf_counter() - started)
    LLM_TOKENS.labels(provider, model, "prompt").inc(resp.prompt_tokens)
    LLM_TOKENS.labels(provider, model, "completion").inc(resp.completion_tokens)
    LLM_COST.labels(provider, model).inc(dep.model.cost(resp.prompt_tokens, resp.completion_tokens))


def _observe_error(dep: ModelDeployment, started: float, exc: ProviderError) -> None:
    provider, model = dep.model.provider, dep.model.name
    LLM_CALLS.labels(provider, model, exc.kind).inc()
    LLM_ERRORS.labels(provider, model, exc.kind).inc()
    LLM_LATENCY.labels(provider, model).observe(time.perf_counter() - started)


_routers: dict[int, Router] = {}


def get_router() -> Router:
    """The process's router (breakers and latency are per process), with DB config and budgets."""
    router = _routers.get(0)
    if router is None:
        from va_app.domain.llm import tenant_config
        from va_app.domain.llm.budgets import BudgetGuard
        from va_app.domain.llm.usage import UsageRecorder

        router = _routers[0] = Router(
            config_loader=tenant_config.load, budgets=BudgetGuard(), usage=UsageRecorder(), share_latency=True
        )
    return router


def reset_router() -> None:
    """Forget the process router (tests that change settings)."""
    _routers.clear()
