"""Root fields for registrations: public sign-up, the queue, decisions, set-password links."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from permissions.enums import Permission
from resolvers import registrations as resolve
from salescoord.context import Info
from schema.auth import LoginPayload
from schema.enums import Channel, RegistrationStatus
from schema.guards import back_office, scoped
from schema.pagination import Connection
from schema.types.people import PAGE
from schema.types.registrations import Registration

DECIDES = [back_office(Permission.MANAGE_REGISTRATIONS)]


@strawberry.input
class RegisterInput:
    name: str
    email: str
    company_name: str = strawberry.field(description="The company as you know it; staff match it.")
    account_manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="The account manager you work with, if any."
    )
    territory_id: strawberry.ID | None = None
    message: str | None = strawberry.field(default=None, description="Up to 2000 characters.")


@strawberry.type(description="What a sign-up answers: it waits for a decision, emailed to you.")
class RegistrationReceipt:
    email: str
    status: RegistrationStatus


@strawberry.input
class ApproveRegistrationInput:
    id: strawberry.ID
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing company you may see."
    )
    new_company_name: str | None = strawberry.field(
        default=None, description="A new company (default: the name the applicant typed)."
    )
    new_company_territory_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The new company's territory, inside your scope (default: the requested one).",
    )


@strawberry.type
class RegistrationsQuery:
    @strawberry.field(
        extensions=[scoped()],
        description="The approval queue, oldest first: registrations linked to your AMs or inside "
        "their territories (R6). Filter by status, territory (and below), requested AM, and a "
        "fragment of name, email or company.",
    )
    async def registrations(
        self,
        info: Info,
        first: int = PAGE,
        after: str | None = None,
        status: RegistrationStatus | None = None,
        territory_id: strawberry.ID | None = None,
        account_manager_id: strawberry.ID | None = None,
        search: str | None = None,
    ) -> Connection[Registration]:
        return await resolve.registrations(
            info, first, after, status.value if status else None, territory_id, account_manager_id, search
        )


@strawberry.type
class RegistrationsMutation:
    @strawberry.mutation(
        description="Sign up (R4: open to anyone). One pending request per email; an email that "
        "has an account already is refused (CONFLICT)."
    )
    async def register(self, info: Info, input: RegisterInput) -> RegistrationReceipt:
        _, values = await resolve.register(
            info,
            input.name,
            input.email,
            input.company_name,
            input.account_manager_id,
            input.territory_id,
            input.message,
        )
        return RegistrationReceipt(email=values["email"], status=RegistrationStatus.PENDING)

    @strawberry.mutation(
        extensions=DECIDES,
        description="Approve (R7): an active buyer in an existing company or a new one, linked to the "
        "requested AM; the applicant gets a set-password link. Decided once: else CONFLICT.",
    )
    async def approve_registration(self, info: Info, input: ApproveRegistrationInput) -> Registration | None:
        return await resolve.approve(
            info, input.id, input.company_id, input.new_company_name, input.new_company_territory_id
        )

    @strawberry.mutation(
        extensions=DECIDES,
        description="Reject with a reason, emailed to the applicant (R7). Decided once: else CONFLICT.",
    )
    async def reject_registration(self, info: Info, id: strawberry.ID, reason: str) -> Registration | None:
        return await resolve.reject(info, id, reason)

    @strawberry.mutation(
        extensions=DECIDES,
        description="Choose the existing company a pending registration joins on approval.",
    )
    async def reassign_registration_company(
        self, info: Info, id: strawberry.ID, company_id: strawberry.ID
    ) -> Registration | None:
        return await resolve.reassign_company(info, id, company_id)

    @strawberry.mutation(
        description="Choose a password with the link from an approval email, and sign in. "
        "A link works once and expires (R4: a form of signing in)."
    )
    async def set_password(self, info: Info, token: str, password: str, client: Channel) -> LoginPayload:
        token, expires_at, user_id = await resolve.set_password(info, token, password, client)
        return LoginPayload(token=token, expires_at=datetime.fromtimestamp(expires_at, UTC), user_id=user_id)
