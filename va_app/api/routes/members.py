"""Users of the caller's tenant and their roles."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from fastapi import APIRouter, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.members import MemberInvite, MemberInvited, MemberPublic, MembersPublic, MemberUpdate
from va_app.domain.identity import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=MembersPublic, summary="Members of this tenant")
async def list_members(principal: PrincipalDep) -> MembersPublic:
    members = await users.list_members(principal)
    return MembersPublic(data=[MemberPublic(**asdict(m)) for m in members], count=len(members))


@router.post("", status_code=201, response_model=MemberInvited, summary="Invite a user with a role")
async def invite(body: MemberInvite, principal: PrincipalDep) -> MemberInvited:
    invitation = await users.invite_member(principal, email=body.email, role=body.role, full_name=body.full_name)
    return MemberInvited(**asdict(invitation.member), temporary_password=invitation.temporary_password)


@router.patch("/{user_id}", response_model=MemberPublic, summary="Change a member's role")
async def change_role(user_id: uuid.UUID, body: MemberUpdate, principal: PrincipalDep) -> MemberPublic:
    return MemberPublic(**asdict(await users.change_role(principal, user_id, body.role)))


@router.delete("/{user_id}", status_code=204, summary="Remove a member from this tenant")
async def remove(user_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await users.remove_member(principal, user_id)
    return Response(status_code=204)
