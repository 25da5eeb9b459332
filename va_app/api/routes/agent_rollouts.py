"""Deployments, promotion, rollback, history, experiments and health of one agent."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.deployments import (
    AgentHealth,
    DeploymentEventPublic,
    DeploymentEventsPublic,
    DeploymentPublic,
    DeployRequest,
    Environment,
    EnvironmentsPublic,
    PromoteRequest,
    RollbackRequest,
)
from va_app.api.schemas.experiments import ExperimentCreate, ExperimentPublic, ExperimentsPublic, ExperimentStop
from va_app.domain.agents import deployments, experiments, health

router = APIRouter(tags=["agent deployments"])
AgentPath = Annotated[str, Path(max_length=200, description="agent id or slug")]


@router.put("/agents/{agent_id}/deploy", response_model=DeploymentPublic, summary="Deploy a version to an environment")
async def deploy(agent_id: AgentPath, body: DeployRequest, principal: PrincipalDep) -> DeploymentPublic:
    info = await deployments.deploy(
        principal,
        agent_id,
        version=body.version,
        environment=body.environment,
        reason=body.reason,
        **body.strategy_kwargs(),
    )
    return DeploymentPublic(**info.as_dict())


@router.post(
    "/agents/{agent_id}/promote",
    response_model=DeploymentPublic,
    summary="Deploy what serves all of an environment to the next one (development -> staging -> production)",
)
async def promote(agent_id: AgentPath, body: PromoteRequest, principal: PrincipalDep) -> DeploymentPublic:
    strategy = DeployRequest(
        version=1,
        environment="production",
        strategy=body.strategy,
        percent=body.percent,
        schedule=body.schedule,
        thresholds=body.thresholds,
    ).strategy_kwargs()
    info = await deployments.promote(
        principal, agent_id, from_environment=body.from_environment, reason=body.reason, **strategy
    )
    return DeploymentPublic(**info.as_dict())


@router.post(
    "/agents/{agent_id}/rollback",
    response_model=DeploymentPublic,
    summary="Back to the previous stable version (or drop the rollout in progress) in one call",
)
async def rollback(
    agent_id: AgentPath, principal: PrincipalDep, body: RollbackRequest | None = None
) -> DeploymentPublic:
    request = body or RollbackRequest()
    info = await deployments.rollback(principal, agent_id, environment=request.environment, reason=request.reason)
    return DeploymentPublic(**info.as_dict())


@router.get("/agents/{agent_id}/environments", response_model=EnvironmentsPublic, summary="What each environment runs")
async def environments(agent_id: AgentPath, principal: PrincipalDep) -> EnvironmentsPublic:
    state = await deployments.current_state(principal, agent_id)
    return EnvironmentsPublic(
        **{env: (DeploymentPublic(**d.as_dict()) if d else None) for env, d in state.items()}  # type: ignore[arg-type]
    )


@router.get(
    "/agents/{agent_id}/deployments",
    response_model=DeploymentEventsPublic,
    summary="Deployment history: every transition with who, when and why (newest first)",
)
async def deployment_history(
    agent_id: AgentPath,
    principal: PrincipalDep,
    environment: Environment | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DeploymentEventsPublic:
    rows, next_cursor = await deployments.history(
        principal, agent_id, environment=environment, limit=limit, cursor=cursor
    )
    data = [DeploymentEventPublic(**r.__dict__) for r in rows]
    return DeploymentEventsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.post(
    "/agents/{agent_id}/experiments",
    status_code=201,
    response_model=ExperimentPublic,
    summary="Start an A/B experiment between versions",
)
async def create_experiment(agent_id: AgentPath, body: ExperimentCreate, principal: PrincipalDep) -> ExperimentPublic:
    info = await experiments.create_experiment(
        principal,
        agent_id,
        name=body.name,
        environment=body.environment,
        variants=[v.model_dump() for v in body.variants],
        primary_metric=body.primary_metric,
        hypothesis=body.hypothesis,
    )
    return ExperimentPublic(**info.as_dict())


@router.get("/agents/{agent_id}/experiments", response_model=ExperimentsPublic, summary="Experiments, newest first")
async def list_experiments(
    agent_id: AgentPath,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ExperimentsPublic:
    rows, next_cursor = await experiments.list_experiments(principal, agent_id, limit=limit, cursor=cursor)
    data = [ExperimentPublic(**r.as_dict()) for r in rows]
    return ExperimentsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.get(
    "/agents/{agent_id}/experiments/{experiment_id}",
    summary="An experiment with per-variant results, significance tests and a verdict",
)
async def experiment_results(agent_id: AgentPath, experiment_id: uuid.UUID, principal: PrincipalDep) -> dict[str, Any]:
    return await experiments.experiment_results(principal, agent_id, experiment_id)


@router.post(
    "/agents/{agent_id}/experiments/{experiment_id}/stop",
    summary="Stop an experiment; optionally deploy the winner to all traffic",
)
async def stop_experiment(
    agent_id: AgentPath, experiment_id: uuid.UUID, body: ExperimentStop, principal: PrincipalDep
) -> dict[str, Any]:
    return await experiments.stop_experiment(
        principal,
        agent_id,
        experiment_id,
        promote_winner=body.promote_winner,
        version=body.version,
        reason=body.reason,
    )


@router.get("/agents/{agent_id}/health", response_model=AgentHealth, summary="Is the deployed version able to answer?")
async def agent_health(
    agent_id: AgentPath, principal: PrincipalDep, environment: Environment = "production"
) -> AgentHealth:
    return AgentHealth(**await health.agent_health(principal, agent_id, environment))
