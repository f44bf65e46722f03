"""Normalised keys for dedupe (查重): names, phones, emails, the unified social credit code.

The value a person typed is kept as typed; these keys sit beside it and are
what duplicates are found by.  Company names fold case, width (full-width ↔
half-width), traditional → simplified Chinese, spaces and punctuation, and
common legal suffixes (Ltd, Inc, 有限公司, 股份, 集团, 分公司 …), so that
"ACME Co., Ltd." and "Acme" collide, and so do 華為技術有限公司 and 华为技术.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from crmcli import settings
from crmcli.errors import ValidationError
from crmcli.i18n import N_, _

# Longest first, so 有限责任公司 is removed before 公司.
_SUFFIXES_ZH = sorted(
    ["股份有限公司", "有限责任公司", "有限公司", "集团有限公司", "集团", "股份", "分公司", "总公司", "公司", "控股"],
    key=len, reverse=True,
)
_SUFFIXES_EN = ["co ltd", "co limited", "company limited", "limited", "ltd", "incorporated", "inc",
                "corporation", "corp", "llc", "gmbh", "plc", "group", "holdings", "company", "co", "sa", "ag", "bv"]
_PUNCT = re.compile(r"[\s\.,;:'\"!?()\[\]{}<>/\\|&+\-_·、，。；：！？（）【】《》“”‘’]+")


@lru_cache(maxsize=1)
def _zhconv():
    import zhconv

    return zhconv


def fold(text: str) -> str:
    """Case, width and traditional/simplified folding, without removing anything."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        text = _zhconv().convert(text, "zh-cn")
    return text


def name_key(name: str | None) -> str | None:
    """The company/person name as dedupe sees it; None when nothing meaningful is left."""
    if not name or not name.strip():
        return None
    text = fold(name)
    words = _PUNCT.sub(" ", text).split()
    # drop English legal suffixes at the end, repeatedly ("acme co ltd" -> "acme")
    changed = True
    while changed and words:
        changed = False
        for suffix in _SUFFIXES_EN:
            parts = suffix.split()
            if len(words) > len(parts) and words[-len(parts):] == parts:
                words = words[: -len(parts)]
                changed = True
                break
    text = "".join(words)
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES_ZH:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
    return text or None


def email_key(email: str | None) -> str | None:
    if not email or not email.strip():
        return None
    return email.strip().casefold()


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not _EMAIL.match(email):
        raise ValidationError(_("'{email}' is not a valid email address").format(email=email))
    return email


def _check_region(value: str) -> str:
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(_("unknown phone region '{value}'").format(value=value),
                              hint=_("a two-letter country code such as CN, US or GB"))
    return code


settings.register_key("phone_region", N_("country of phone numbers written without +code (default CN)"),
                      _check_region)


def default_region() -> str:
    """Where a phone number without a country code is from: config key ``phone_region``, else CN."""
    return str(settings.get("phone_region") or "CN").upper()


# Chinese mobile numbers (11 digits from 13x to 19x, 179xx left out: there phonenumbers strips a carrier
# prefix) come out of phonenumbers as +86 and the digits; checked here first, ~50x faster (bulk import).
_CN_MOBILE = re.compile(r"(?:\+86)?(1(?:[3-68]\d|7[0-8]|9\d)\d{8})")


def phone_key(phone: str | None, region: str = "CN") -> str | None:
    """E.164 (+8613800138000) when the number parses; None for an empty value.

    Raises ValidationError for something that is not a phone number at all.
    """
    if phone is None or not phone.strip():
        return None
    raw = phone.strip()
    fast = _CN_MOBILE.fullmatch(raw)
    if fast is not None and (region == "CN" or raw.startswith("+")):
        return "+86" + fast.group(1)
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("'{phone}' is not a phone number").format(phone=raw)) from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(_("'{phone}' is not a phone number").format(phone=raw))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# 统一社会信用代码 (GB 32100-2015): 18 characters, the last a checksum.
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(value: str | None) -> str | None:
    """Validate a unified social credit code; returns it upper-cased, or raises ValidationError."""
    if value is None or not value.strip():
        return None
    code = unicodedata.normalize("NFKC", value).strip().upper()
    bad = ValidationError(
        _("'{code}' is not a valid unified social credit code").format(code=value.strip()),
        hint=_("18 characters, digits and capital letters except I, O, S, V, Z, with a checksum last"),
    )
    if len(code) != 18 or any(ch not in _CREDIT_CHARS for ch in code):
        raise bad
    total = sum(_CREDIT_CHARS.index(ch) * w for ch, w in zip(code[:17], _CREDIT_WEIGHTS))
    check = (31 - total % 31) % 31
    if _CREDIT_CHARS[check] != code[17]:
        raise bad
    return code


# --- no NUL in stored text ---------------------------------------------------------------------------


def check_text(value: str | None, field: str) -> str | None:
    """Text a person or a file gave for ``field``: refused when it holds a NUL character.

    PostgreSQL cannot store one and SQLite stores it but cuts the text short in many tools, so
    neither backend takes it; imports check their rows themselves (the bulk writer bypasses the ORM).
    """
    if value is not None and "\x00" in value:
        raise ValidationError(_("{field}: text may not contain a NUL character (\\0)").format(field=field))
    return value


def _refuse_nul(session, flush_context, instances) -> None:  # noqa: ANN001  (SQLAlchemy's signature)
    """Before any ORM write: no text column (nor text inside a JSON column) of a new or changed row holds a NUL."""
    from sqlalchemy import inspect

    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.dict.get(attr.key)
            if isinstance(value, str):
                check_text(value, attr.key)
            elif isinstance(value, (dict, list)) and "\\u0000" in _json_dump(value):
                raise ValidationError(_("{field}: text may not contain a NUL character (\\0)").format(
                    field=attr.key))


def _json_dump(value: object) -> str:
    import json

    return json.dumps(value, default=str)


def _has_nul(values: object) -> bool:
    if isinstance(values, str):
        return "\x00" in values
    if isinstance(values, dict):
        values = values.values()
    if isinstance(values, (list, tuple)) or type(values).__name__ == "dict_values":
        return any(_has_nul(v) for v in values)  # type: ignore[union-attr]
    return False


def _refuse_nul_parameters(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    """The backstop for what no flush sees (a look-up by a name before the insert): no statement binds a NUL."""
    if parameters and _has_nul(parameters):
        raise ValidationError(_("text may not contain a NUL character (\\0)"))


def install_text_guard() -> None:
    """Check every ORM flush (:func:`_refuse_nul`, naming the field) and every statement's parameters
    (:func:`_refuse_nul_parameters`) of every session and engine, once per process."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _refuse_nul):
        event.listen(Session, "before_flush", _refuse_nul)
    if not event.contains(Engine, "before_cursor_execute", _refuse_nul_parameters):
        event.listen(Engine, "before_cursor_execute", _refuse_nul_parameters)



# The services that store text from people (leads, customers, contacts …) import this module after
# SQLAlchemy: the guard is installed then.  A module that imports it without the database layer
# (a command's help, completion) does not pull SQLAlchemy in for it.
if "sqlalchemy.orm" in sys.modules:
    install_text_guard()
