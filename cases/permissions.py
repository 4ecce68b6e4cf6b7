"""Who may see what inside a visible case."""

from mcu.choices import Role

# Resident personal data (names, phones, profile links) only for the roles that work with
# the resident: moderators, the centre's leadership and the executor who must call back.
# Region observers and integration accounts get the case without it.
PERSONAL_DATA_ROLES = (Role.CURATOR, Role.HEAD, Role.ADMINISTRATOR, Role.EXECUTOR)


def can_see_personal_data(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or user.has_role(*PERSONAL_DATA_ROLES))
    )
