"""Finding records by what users type: an id, or an unambiguous name.

Every noun's ``find`` goes through :func:`one`, so "not found" and "ambiguous"
read the same everywhere and the ambiguous case lists the candidates.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import _


def one(
    ref: str,
    noun: str,
    by_id: Callable[[int], Any],
    by_name: Callable[[str], Sequence[Any]],
    describe: Callable[[Any], str],
) -> Any:
    """Resolve ``ref`` (an id, ``#id``, or a name) to exactly one record."""
    text = str(ref).strip()
    if not text:
        raise ValidationError(_("an empty {noun} name").format(noun=noun))
    from crmcli import limits

    digits = text[1:] if text.startswith("#") else text
    number = limits.as_id(digits)
    if number is not None:
        found = by_id(number)
        if found is not None:
            return found
    if text.startswith("#") and digits.isdigit():  # an id (beyond 2**63 too), never a name
        raise NotFound(_("no {noun} with id {id}").format(noun=noun, id=digits))
    matches = list(by_name(text))
    if not matches:
        raise NotFound(_("no {noun} named '{ref}'").format(noun=noun, ref=text))
    if len(matches) > 1:
        shown = "; ".join(describe(m) for m in matches[:5])
        raise ValidationError(
            _("'{ref}' could mean several {noun} records: {candidates}").format(ref=text, noun=noun, candidates=shown),
            hint=_("name it by id instead"),
        )
    return matches[0]
