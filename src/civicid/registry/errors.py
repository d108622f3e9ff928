"""Errors of the population registry."""

from civicid.core.errors import Conflict, InvalidInput, NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"
    title = "No such person in the registry"


class VillageNotFound(NotFound):
    code = "village_not_found"
    title = "No such village"


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "No such household"


class CardNotFound(NotFound):
    code = "card_not_found"
    title = "No such ID card of this person"


class DuplicateIdNumber(Conflict):
    code = "duplicate_id_number"
    title = "Another person already holds this ID number"


class DuplicatePlace(Conflict):
    code = "duplicate_place"
    title = "This place already exists"


class InvalidGuardian(InvalidInput):
    code = "invalid_guardian"
    title = "This guardian link is not possible"
