"""PersonData / OrganizationData, encoded from pre-built JSON fragments (the hot path)."""

from __future__ import annotations

import functools

import numpy as np
import orjson

from . import behaviour as bh
from . import names as nm
from .profile_b import FORMER_NAME_ATTRIBUTE
from .schemas import PARTY_BASE
from .shapes import CORE, MEMB, STATUS_OBJECTS, T_PROP, T_PROPS, T

_PARTY_COLS = [
    "party_id",
    "is_org",
    "uniform_id",
    "prefix",
    "first",
    "middle",
    "last",
    "suffix",
    "informal",
    "former_last",
    "org_name",
    "title",
    "primary_org",
    "email",
    "phone",
    "phone_type",
    "street",
    "city",
    "region",
    "postal",
    "status",
    "ctype",
    "is_member",
    "inactive_member",
    "join_date",
    "paid_thru",
    "renewed_thru",
    "chapter",
    "birth_date",
    "created_on",
    "created_by",
    "updated_on",
    "updated_by",
]
_TYPE_NAME = dict(zip(bh.TYPE_CODES, bh.TYPE_NAMES, strict=True))


def _full_name(prefix, first, middle, last, suffix) -> str:
    name = " ".join(x for x in (prefix, first, middle, last) if x)
    return f"{name}, {suffix}" if suffix else name


_T_PERSON = T(MEMB, "PersonData")
_T_ORG = T(MEMB, "OrganizationData")
_T_PERSON_NAME = T(MEMB, "PersonNameData")
_T_PRIMARY_ORG = T(MEMB, "PrimaryOrganizationInformationData")
_T_ADDRESSES = T(MEMB, "FullAddressDataCollection")
_T_FULL_ADDRESS = T(MEMB, "FullAddressData")
_T_ADDRESS = T(MEMB, "AddressData")
_T_ADDRESS_LINES = T(MEMB, "AddressLineDataCollection")
_T_ALT_IDS = T(CORE, "AlternateIdDataCollection")
_T_ALT_ID = T(CORE, "AlternateIdData")
_T_EMAILS = T(MEMB, "EmailDataCollection")
_T_EMAIL = T(MEMB, "EmailData")
_T_PHONES = T(MEMB, "PhoneDataCollection")
_T_PHONE = T(MEMB, "PhoneData")
_T_UPDATE = T(CORE, "EntityUpdateInformationData")
_FINANCIAL_INFO = {"$type": T(MEMB, "FinancialInformationData")}
_NO_EMAILS = {"$type": _T_EMAILS, "$values": []}
_NO_PRIMARY_ORG = {"$type": _T_PRIMARY_ORG}
_BOOL = {
    (name, flag): {
        "$type": T_PROP,
        "Name": name,
        "Value": {"$type": "System.Boolean", "$value": flag},
    }
    for name in ("IsMember", "IsMemberRecord", "IsInactiveMember")
    for flag in (True, False)
}
_CTYPE = {
    code: (
        {"$type": T_PROP, "Name": "CustomerTypeCode", "Value": code},
        {"$type": T_PROP, "Name": "CustomerTypeDescription", "Value": _TYPE_NAME[code]},
    )
    for code in bh.TYPE_CODES
}
_EMPTY_PROP = {n: {"$type": T_PROP, "Name": n} for n in ("Chapter", "ParentPartyId")}
_REGION = [
    (state, state_name, country, nm.COUNTRY_NAMES[country], nm.COUNTRY_NAMES[country].upper())
    for state, state_name, country, _cities, _stem in nm.REGIONS
]
_NAME_PARTS = (
    ("NamePrefix", "prefix"),
    ("FirstName", "first"),
    ("MiddleName", "middle"),
    ("LastName", "last"),
    ("NameSuffix", "suffix"),
    ("InformalName", "informal"),
)


def _js(value: str) -> str:
    """A JSON string literal (orjson escapes; non-ASCII stays UTF-8 like Json.NET)."""
    return orjson.dumps(value).decode()


def _frag(obj) -> str:
    return orjson.dumps(obj).decode()


@functools.cache
def _open(type_name: str) -> str:
    """The start of an object with its $type, ready for more members."""
    return '{"$type":' + _js(type_name)


_F_STATUS = {code: _frag(v) for code, v in STATUS_OBJECTS.items()}
_F_CTYPE = {code: _frag(list(v))[1:-1] for code, v in _CTYPE.items()}
_F_BOOL = {key: _frag(v) for key, v in _BOOL.items()}
_F_NO_PRIMARY = _frag(_NO_PRIMARY_ORG)
_F_NO_EMAILS = _frag(_NO_EMAILS)
_F_FIN = _frag(_FINANCIAL_INFO)
_F_EMPTY = {k: _frag(v) for k, v in _EMPTY_PROP.items()}
_F_PROP = _open(T_PROP) + ',"Name":'
_F_FORMER = "," + _F_PROP + _js(FORMER_NAME_ATTRIBUTE) + ',"Value":'
_F_ALT = _open(_T_ALT_IDS) + ',"$values":[' + _open(_T_ALT_ID) + ',"Id":"'


def party_json(assoc, idx: np.ndarray) -> list[bytes]:
    """PersonData / OrganizationData rows, encoded from pre-built JSON fragments.

    Party pages are what a full sync reads most, so this avoids building nested dicts; the
    output is the same JSON a dict of the shape would give.
    """
    c = assoc.parties.rows(idx, _PARTY_COLS)
    org_names: dict[int, str] = {}
    out = []
    for i in range(len(idx)):
        pid = str(c["party_id"][i])
        state, state_name, country, country_name, country_upper = _REGION[c["region"][i]]
        first, last, middle = c["first"][i], c["last"][i], c["middle"][i]
        if c["is_org"][i]:
            name = c["org_name"][i]
            sort = nm.sort_key(name)
            head = _open(_T_ORG) + ',"OrganizationName":' + _js(name)
        else:
            name = f"{first} {last}" if first and last else (first or last)
            sort = nm.sort_key(f"{last}, {first} {middle}" if middle else f"{last}, {first}")
            parts = [_open(_T_PERSON) + ',"PersonName":' + _open(_T_PERSON_NAME)]
            for key, col in _NAME_PARTS:
                value = c[col][i]
                if value:
                    parts.append(f',"{key}":{_js(value)}')
            full = _full_name(c["prefix"][i], first, middle, last, c["suffix"][i])
            parts.append(',"FullName":' + _js(full) + '},"PrimaryOrganization":')
            org = c["primary_org"][i]
            if org:
                if org not in org_names:
                    org_names[org] = assoc.party_name(org - PARTY_BASE)
                primary = (
                    _open(_T_PRIMARY_ORG)
                    + f',"OrganizationPartyId":"{org}","Name":'
                    + _js(org_names[org])
                )
                if c["title"][i]:
                    primary += ',"Title":' + _js(c["title"][i])
                parts.append(primary + "}")
            else:
                parts.append(_F_NO_PRIMARY)
            parts.append(f',"BirthDate":"{c["birth_date"][i]}"')
            head = "".join(parts)
        street, city, postal, email = c["street"][i], c["city"][i], c["postal"][i], c["email"][i]
        full_address = f"{street}\r{city}, {state}  {postal}\r{country_upper}"
        phone = _js(c["phone"][i])
        chapter, parent = c["chapter"][i], c["primary_org"][i]
        is_member = c["is_member"][i]
        text = "".join(
            (
                head,
                ',"Addresses":',
                _open(_T_ADDRESSES),
                ',"$values":[',
                _open(_T_FULL_ADDRESS),
                ',"Address":',
                _open(_T_ADDRESS),
                ',"AddressId":"',
                pid,
                '","AddressLines":',
                _open(_T_ADDRESS_LINES),
                ',"$values":[',
                _js(street),
                ']},"CityName":',
                _js(city),
                ',"CountryCode":"',
                country,
                '","CountryName":',
                _js(country_name),
                ',"CountrySubEntityCode":"',
                state,
                '","CountrySubEntityName":',
                _js(state_name),
                ',"FullAddress":',
                _js(full_address),
                ',"PostalCode":',
                _js(postal),
                '},"AddresseeText":',
                _js(f"{name}\r\n{full_address}"),
                ',"AddressPurpose":"Address","FullAddressId":"',
                pid,
                '"',
                (',"Email":' + _js(email)) if email else "",
                ',"Phone":',
                phone,
                "}]}",
                ',"AlternateIds":',
                _F_ALT,
                pid,
                '","IdType":"Id"}]}',
                ',"Emails":',
                (
                    _open(_T_EMAILS)
                    + ',"$values":['
                    + _open(_T_EMAIL)
                    + ',"Address":'
                    + _js(email)
                    + ',"EmailType":"_Primary","IsPrimary":true}]}'
                )
                if email
                else _F_NO_EMAILS,
                ',"Phones":',
                _open(_T_PHONES),
                ',"$values":[',
                _open(_T_PHONE),
                ',"Number":',
                phone,
                ',"PhoneType":',
                _js(c["phone_type"][i]),
                ',"IsPrimary":true}]}',
                ',"FinancialInformation":',
                _F_FIN,
                ',"AdditionalAttributes":',
                _open(T_PROPS),
                ',"$values":[',
                _F_CTYPE[c["ctype"][i]],
                ",",
                _F_BOOL[("IsMember", is_member)],
                ",",
                _F_BOOL[("IsMemberRecord", is_member)],
                ",",
                _F_BOOL[("IsInactiveMember", c["inactive_member"][i])],
                ",",
                _F_PROP,
                '"JoinDate","Value":"',
                c["join_date"][i],
                '"},',
                _F_PROP,
                '"PaidThruDate","Value":"',
                c["paid_thru"][i],
                '"},',
                _F_PROP,
                '"RenewedThruDate","Value":"',
                c["renewed_thru"][i],
                '"},',
                (_F_PROP + '"Chapter","Value":' + _js(chapter) + "}")
                if chapter
                else _F_EMPTY["Chapter"],
                ",",
                (_F_PROP + f'"ParentPartyId","Value":"{parent}"}}')
                if parent
                else _F_EMPTY["ParentPartyId"],
                # A site's custom attribute: only on the records that have one.
                (_F_FORMER + _js(c["former_last"][i]) + "}") if c["former_last"][i] else "",
                "]}",
                ',"UpdateInformation":',
                _open(_T_UPDATE),
                ',"CreatedBy":',
                _js(c["created_by"][i]),
                ',"CreatedOn":"',
                c["created_on"][i],
                '","UpdatedBy":',
                _js(c["updated_by"][i]),
                ',"UpdatedOn":"',
                c["updated_on"][i],
                '"}',
                ',"PartyId":"',
                pid,
                '","Id":"',
                pid,
                '","UniformId":"',
                c["uniform_id"][i],
                '"',
                ',"Status":',
                _F_STATUS[c["status"][i]],
                ',"Name":',
                _js(name),
                ',"Sort":',
                _js(sort),
                "}",
            )
        )
        out.append(text.encode())
    return out
