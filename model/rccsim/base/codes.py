"""The model's vocabulary: placement kinds, need levels, and the SSDA903 codes they map to.

SSDA903 is the statutory return on children looked after in England. Code lists follow the DfE
"Children looked after return: guide" (2024 to 2025 and 2025 to 2026 collections) as implemented by
DfE's validation rules (package ``csc-validator-be-903``, rules 146 PLACE, 1009
REASON_PLACE_CHANGE, 149 REC, 144 LS).
"""

from __future__ import annotations


class _Codes:
    """Plain integer constants (faster than enum members on hot paths), with names."""

    NAMES: tuple[str, ...] = ()

    @classmethod
    def name(cls, value: int) -> str:
        return cls.NAMES[int(value)]


class Regional:
    """Units the RCC holds (``Units.regional``): none, built with its capital, on block contract."""

    NONE, CAPITAL, BLOCK = 0, 1, 2


class Kind(_Codes):
    """What a child is placed in (the model's placement kinds)."""

    FOSTER_KIN = 0  # foster placement with a relative or friend (connected person)
    FOSTER_LA = 1  # mainstream foster carer approved by a local authority
    FOSTER_IFA = 2  # mainstream foster carer with an independent fostering agency
    HOME_LA = 3  # children's home run by a local authority
    HOME_IND = 4  # children's home run by a private or voluntary provider
    SUPPORTED = 5  # supported accommodation (16-17)
    WITH_PARENTS = 6  # placed with parents or others with parental responsibility
    ADOPTION = 7  # placed for adoption
    UNREGISTERED = 8  # emergency, unregistered or otherwise unregulated setting
    OTHER = 9  # other residential settings, residential schools, custody, NHS
    NAMES = ("foster_kin", "foster_la", "foster_ifa", "home_la", "home_ind", "supported", "with_parents",
             "adoption", "unregistered", "other")


N_KINDS = len(Kind.NAMES)

#: DfE publication groups (placement group at 31 March), as used in outputs
GROUP_OF_KIND = {
    Kind.FOSTER_KIN: "fostering",
    Kind.FOSTER_LA: "fostering",
    Kind.FOSTER_IFA: "fostering",
    Kind.HOME_LA: "residential",
    Kind.HOME_IND: "residential",
    Kind.SUPPORTED: "supported",
    Kind.WITH_PARENTS: "with_parents",
    Kind.ADOPTION: "other",
    Kind.UNREGISTERED: "other",
    Kind.OTHER: "other",
}
GROUPS = ("fostering", "residential", "supported", "with_parents", "other")


class UnitType(_Codes):
    """What a unit of provision is."""

    FOSTER = 0  # a fostering household (places = approved places)
    HOME = 1  # a children's home (places = registered beds)
    SUPPORTED = 2  # supported accommodation (places = beds)
    NAMES = ("foster", "home", "supported")


class Sector(_Codes):
    LA = 0
    PRIVATE = 1
    VOLUNTARY = 2
    NAMES = ("la", "private", "voluntary")


class Need(_Codes):
    """Need levels: what a placement must be able to meet."""

    STANDARD = 0
    COMPLEX = 1  # complex behaviour, exploitation risk, mental-health needs
    INTENSIVE = 2  # needs that only specialist residential provision meets
    NAMES = ("standard", "complex", "intensive")


N_NEEDS = len(Need.NAMES)

# Risk flags (bit mask on each child)
FLAG_UASC = 1  # unaccompanied asylum-seeking child
FLAG_DISABILITY = 2
FLAG_JUSTICE = 4  # remand or youth justice legal status
FLAG_EXPLOITATION = 8  # criminal or sexual exploitation risk
FLAG_MENTAL_HEALTH = 16  # mental-health step-down
FLAG_SOLO = 32  # can live only alone: a children's home takes the child only when no other child is there


class Focus:
    """Which children an RCC home is for (a bit mask on each unit; 0: any child its need level
    suits). GM's Project Skyline plans homes for complex mental health needs, younger children on
    their way back to foster care, older teenagers, and children at risk of exploitation (Salford
    City Council, 25 July 2024, via salfordnow.co.uk). The model has no mental-health attribute:
    a home for mental health needs is a home for the highest need level."""

    ANY = 0
    HIGHEST_NEEDS = 1  # need level INTENSIVE
    YOUNGER = 2  # under YOUNGER_UNDER_AGE
    ADOLESCENT = 4  # YOUNGER_UNDER_AGE and over
    EXPLOITATION = 8  # FLAG_EXPLOITATION
    BY_NAME = {"any": 0, "highest_needs": 1, "younger": 2, "adolescent": 4, "exploitation": 8}


# assumption: the age below which a child is "younger" for a home's focus (no published definition
# for Skyline's homes for younger children; children's homes take mostly 12-17-year-olds)
YOUNGER_UNDER_AGE = 13

# SSDA903 PLACE codes for each kind (current codes; the writer chooses U1/U4 for long-term foster)
PLACE_CODE = {
    Kind.FOSTER_KIN: "U3",
    Kind.FOSTER_LA: "U6",
    Kind.FOSTER_IFA: "U6",
    Kind.HOME_LA: "K2",
    Kind.HOME_IND: "K2",
    Kind.SUPPORTED: "K3",
    Kind.WITH_PARENTS: "P1",
    Kind.ADOPTION: "A6",
    Kind.UNREGISTERED: "Z1",
    Kind.OTHER: "R1",
}

# SSDA903 REASON_PLACE_CHANGE codes (why a placement ended when the child stays in care)
REASON_CODES = (
    "CARPL",  # change to or implementation of the care plan
    "CLOSE",  # resignation or closure of the provision
    "ALLEG",  # allegation (s47)
    "STAND",  # standards of care concern
    "APPRR",  # approval removed
    "CREQB",  # carer requested the placement end because of the child's behaviour
    "CREQO",  # carer requested the placement end for other reasons
    "CHILD",  # child requested the placement end
    "LAREQ",  # responsible authority requested the placement end
    "PLACE",  # change in the status of the placement only
    "CUSTOD",  # custody arrangement
    "OTHER",
)
REASON = {code: i for i, code in enumerate(REASON_CODES)}

# SSDA903 REC codes (reason episode ceased) used when a child leaves care
EXIT_CODES = (
    "E4A",  # returned home as part of care planning
    "E13",  # left care to live with relatives or others with no parental responsibility
    "E11",  # adopted (application unopposed)
    "E45",  # special guardianship order (written E45/E46/E47 by where the child lived: kinship foster, other foster, elsewhere)
    "E41",  # residence / child arrangements order
    "E17",  # aged 18 and remained with current carers (staying put)
    "E5",  # moved into independent living with formalised support
    "E6",  # moved into independent living without formalised support
    "E3",  # care taken by another local authority
    "E8",  # care ceased for any other reason
)
EXIT = {code: i for i, code in enumerate(EXIT_CODES)}
EXIT_ROUTE_NAMES = {
    "E4A": "return_home",
    "E13": "relatives",
    "E11": "adoption",
    "E45": "special_guardianship",
    "E41": "child_arrangements",
    "E17": "staying_put",
    "E5": "independent_supported",
    "E6": "independent_unsupported",
    "E3": "transfer_other_la",
    "E8": "other",
}
