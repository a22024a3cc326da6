"""Root fields for registrations: public sign-up, the queue, decisions, set-password links."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission
from salescoord.resolvers import passwords
from salescoord.resolvers import registrations as resolve
from salescoord.schema.guards import back_office, scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.auth import LoginPayload
from salescoord.schema.types.registrations import Registration, RegistrationReceipt

DECIDES = [back_office(Permission.MANAGE_REGISTRATIONS)]


@strawberry.type
class RegistrationsQuery:
    registrations: Connection[Registration] = strawberry.field(
        resolver=resolve.registrations,
        extensions=[scoped()],
        description="The approval queue, oldest first: registrations linked to your AMs or inside "
        "their territories (R6). Filter by status, territory (and below), requested AM, and a "
        "fragment of name, email or company.",
    )


@strawberry.type
class RegistrationsMutation:
    register: RegistrationReceipt = strawberry.mutation(
        resolver=resolve.register,
        description="Sign up (R4: open to anyone). One pending request per email; an email that "
        "has an account already is refused (CONFLICT).",
    )
    approve_registration: Registration | None = strawberry.mutation(
        resolver=resolve.approve_registration,
        extensions=DECIDES,
        description="Approve (R7): an active buyer in an existing company or a new one, linked to the "
        "requested AM; the applicant gets a set-password link. Decided once: else CONFLICT.",
    )
    reject_registration: Registration | None = strawberry.mutation(
        resolver=resolve.reject_registration,
        extensions=DECIDES,
        description="Reject with a reason, emailed to the applicant (R7). Decided once: else CONFLICT.",
    )
    reassign_registration_company: Registration | None = strawberry.mutation(
        resolver=resolve.reassign_registration_company,
        extensions=DECIDES,
        description="Choose the existing company a pending registration joins on approval.",
    )
    set_password: LoginPayload = strawberry.mutation(
        resolver=passwords.set_password,
        description="Choose a password with the link from an approval or invitation email, and sign "
        "in. A link works once and expires (R4: a form of signing in); one that does not work is "
        "UNAUTHENTICATED with `extensions.reason` INVALID, EXPIRED or USED.",
    )
