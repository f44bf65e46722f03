"""Dedupe (查重) of customers and contacts.

Two questions:

* **Does this new or changed record collide with an existing one?**
  (:func:`customer_matches`, :func:`contact_matches`, then :func:`refuse`).  Asked on
  add, edit and lead conversion, across *all* records — not only those the actor
  sees — because two salespeople must not each keep "their" copy of one company.
  The refusal (exit 5) names the existing record's id and owner; its name only when
  the actor may see it.
* **Which customers look like the same one?** (:func:`customer_pairs`, for
  ``crm customer dupes``), among the customers the actor sees.

Keys (see :mod:`crmcli.services.normalise`):

* customers: the unified social credit code (统一社会信用代码) — a *strong* key: one
  code is one organisation, so a match is always a duplicate and ``--allow-duplicate``
  does not override it; and when both records carry a code and the codes differ,
  they are different organisations, whatever else they share.  Then the normalised
  name (between companies only: two people called 张伟 are usually two people),
  the phone (E.164) and the email.
* contacts: the email and the phone (the mobile when there is one, else the
  landline), across all contacts of all customers.

A weak key value shared by :data:`NOISE` or more records means nothing (a
switchboard, ``info@…``, a placeholder) and is ignored.  Merged customers are
never matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli.errors import Conflict
from crmcli.i18n import N_, _
from crmcli.services.access import Actor, Kind, can_see, visible_clause
from crmcli.store.models import Contact, Customer, User

NOISE = 20  # a weak key shared by this many records is ignored
DEFAULT_MIN_SCORE = 85  # fuzzy name similarity (rapidfuzz ratio, 0–100) that counts as "likely the same"
MAX_BLOCK = 400  # candidates compared pairwise at most; larger blocks are split by a longer name affix

KEY_LABELS = {"credit_code": N_("unified social credit code"), "name": N_("name"), "phone": N_("phone"),
              "email": N_("email"), "similar": N_("similar name")}
CUSTOMER_KEYS = ("credit_code", "name", "phone", "email")
_CUSTOMER_COLUMNS = {"credit_code": "credit_code", "name": "name_key", "phone": "phone_key", "email": "email_key"}


@dataclass(frozen=True)
class Match:
    record_id: int
    key: str  # credit_code | name | phone | email
    strong: bool = False


def customer_matches(session: Session, keys: dict[str, str | None], *, kind: str = "company",
                     exclude_id: int | None = None) -> list[Match]:
    """Existing (unmerged) customers that share a key with ``keys``, strong matches first.

    ``keys`` maps ``credit_code``, ``name`` (a name key), ``phone`` (E.164) and ``email`` (an
    email key) to values; missing or empty ones are skipped.
    """
    found: list[Match] = []
    code = keys.get("credit_code")
    base = [Customer.merged_into_id.is_(None)]
    if exclude_id is not None:
        base.append(Customer.id != exclude_id)
    if code:
        found += [Match(i, "credit_code", True) for i in session.execute(
            select(Customer.id).where(Customer.credit_code == code, *base).order_by(Customer.id)).scalars()]
    for key in ("name", "phone", "email"):
        value = keys.get(key)
        if not value or (key == "name" and kind != "company"):
            continue
        column = getattr(Customer, _CUSTOMER_COLUMNS[key])
        query = select(Customer.id, Customer.credit_code).where(column == value, *base)
        if key == "name":
            query = query.where(Customer.kind == "company")
        rows = session.execute(query.order_by(Customer.id).limit(NOISE)).all()
        if len(rows) >= NOISE:
            continue
        found += [Match(i, key) for i, other in rows if not (code and other and other != code)]
    return found


def contact_matches(session: Session, keys: dict[str, str | None], *, exclude_id: int | None = None) -> list[Match]:
    """Existing contacts (of any customer) that share the email or phone key."""
    found: list[Match] = []
    for key, column in (("email", Contact.email_key), ("phone", Contact.phone_key)):
        value = keys.get(key)
        if not value:
            continue
        query = select(Contact.id).where(column == value)
        if exclude_id is not None:
            query = query.where(Contact.id != exclude_id)
        ids = list(session.execute(query.order_by(Contact.id).limit(NOISE)).scalars())
        if len(ids) < NOISE:
            found += [Match(i, key) for i in ids]
    return found


def group(matches: list[Match]) -> dict[int, list[Match]]:
    """Matches by record id, in the order first seen (strong first)."""
    by_id: dict[int, list[Match]] = {}
    for m in matches:
        by_id.setdefault(m.record_id, []).append(m)
    return by_id


def describe(session: Session, actor: Actor, kind: Kind, record_id: int, matches: list[Match]) -> str:
    """``#12 Acme Ltd (same name, phone; owner bob)`` — the name only if the actor may see it."""
    record = session.get(kind.model, record_id)
    same = _("same {keys}").format(keys=", ".join(_(KEY_LABELS[m.key]) for m in matches))
    owner = session.get(User, record.owner_id) if record.owner_id is not None else None
    whose = _("owner {login}").format(login=owner.login) if owner else _("in the pool")
    label = f" {kind.label(record)}" if can_see(session, actor, kind, record) else ""
    return f"#{record_id}{label} ({same}; {whose})"


def refuse(session: Session, actor: Actor, kind: Kind, matches: list[Match], *, allow: bool) -> None:
    """Raise Conflict (exit 5) naming the existing records, unless there are none or ``allow``.

    ``allow`` (``--allow-duplicate``) never overrides a strong match.
    """
    strong = [m for m in matches if m.strong]
    if not matches or (allow and not strong):
        return
    by_id = group(strong or matches)
    shown = "; ".join(describe(session, actor, kind, i, ms) for i, ms in list(by_id.items())[:3])
    if len(by_id) > 3:
        shown += _("; and {n} more").format(n=len(by_id) - 3)
    if strong:
        raise Conflict(_("duplicate {kind}: {records}").format(kind=kind.name, records=shown),
                       hint=_("a unified social credit code belongs to one organisation: "
                              "use or merge {kind} {id}").format(kind=kind.name, id=strong[0].record_id))
    raise Conflict(_("duplicate {kind}: {records}").format(kind=kind.name, records=shown),
                   hint=_("use that one, or add --allow-duplicate"))


# --- likely duplicate pairs (crm customer dupes) --------------------------------------------------


@dataclass
class Pair:
    a: int
    a_name: str
    b: int
    b_name: str
    reasons: list[str] = field(default_factory=list)  # credit_code | name | phone | email | similar
    score: int | None = None  # name similarity 0–100 when the names are only alike


def _noisy(session: Session, column: Any) -> set[str]:
    """Values of a weak key shared by NOISE or more unmerged customers (all of them, not only visible ones)."""
    return set(session.execute(select(column).where(column.is_not(None), Customer.merged_into_id.is_(None))
                               .group_by(column).having(func.count() >= NOISE)).scalars())


def _blocks(items: list[tuple[int, str]], width: int = 2) -> list[list[tuple[int, str]]]:
    """Group (index, name key) by the first and by the last ``width`` characters; split big groups further."""
    blocks: list[list[tuple[int, str]]] = []
    for affix in (lambda k: k[:width], lambda k: k[-width:]):
        grouped: dict[str, list[tuple[int, str]]] = {}
        for item in items:
            grouped.setdefault(affix(item[1]), []).append(item)
        for members in grouped.values():
            if len(members) < 2:
                continue
            if len(members) > MAX_BLOCK and width < 6:
                blocks += _blocks(members, width + 1)
            else:
                blocks.append(members[:MAX_BLOCK * 4])
    return blocks


def customer_pairs(session: Session, actor: Actor, kind: Kind, *, min_score: int = DEFAULT_MIN_SCORE,
                   fuzzy: bool = True, limit: int | None = 100) -> list[Pair]:
    """Likely duplicate pairs among the unmerged customers the actor sees.

    Exact pairs share a key (the rules of :func:`customer_matches`); fuzzy pairs are
    companies whose name keys score at least ``min_score`` (rapidfuzz ``ratio``).
    Candidates for fuzzy comparison are blocked by the first and last characters of
    the name key, so the work grows with the block sizes, not with N².
    """
    rows = session.execute(select(Customer.id, Customer.name, Customer.kind, Customer.credit_code, Customer.name_key,
                                  Customer.phone_key, Customer.email_key)
                           .where(visible_clause(actor, kind), Customer.merged_into_id.is_(None))
                           .order_by(Customer.id)).all()
    pairs: dict[tuple[int, int], Pair] = {}

    def differ(i: int, j: int) -> bool:  # both carry a credit code and they differ: two organisations
        return bool(rows[i].credit_code and rows[j].credit_code and rows[i].credit_code != rows[j].credit_code)

    def add(i: int, j: int, reason: str, score: int | None = None) -> None:
        if i > j:
            i, j = j, i
        pair = pairs.get((rows[i].id, rows[j].id))
        if pair is None:
            pair = pairs[(rows[i].id, rows[j].id)] = Pair(rows[i].id, rows[i].name, rows[j].id, rows[j].name)
        if reason not in pair.reasons:
            pair.reasons.append(reason)
        if score is not None:
            pair.score = score

    noisy = {key: _noisy(session, getattr(Customer, _CUSTOMER_COLUMNS[key])) for key in ("name", "phone", "email")}
    for key in CUSTOMER_KEYS:
        attr = _CUSTOMER_COLUMNS[key]
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            value = getattr(row, attr)
            if value and (key != "name" or row.kind == "company") and value not in noisy.get(key, ()):
                groups.setdefault(value, []).append(i)
        for members in groups.values():
            for x, i in enumerate(members):
                for j in members[x + 1:]:
                    if key == "credit_code" or not differ(i, j):
                        add(i, j, key)

    if fuzzy:
        from rapidfuzz import fuzz, process

        names = [(i, row.name_key) for i, row in enumerate(rows)
                 if row.kind == "company" and row.name_key and row.name_key not in noisy["name"]]
        for block in _blocks(names):
            keys = [k for _i, k in block]
            for x in range(len(block) - 1):
                for _choice, score, y in process.extract(keys[x], keys[x + 1:], scorer=fuzz.ratio,
                                                         score_cutoff=min_score, limit=None):
                    i, j = block[x][0], block[x + 1 + y][0]
                    if keys[x] != keys[x + 1 + y] and not differ(i, j):
                        add(i, j, "similar", int(round(score)))

    order = {"credit_code": 0, "name": 1, "phone": 2, "email": 3, "similar": 4}
    found = sorted(pairs.values(), key=lambda p: ("credit_code" not in p.reasons, -len(p.reasons),
                                                   -(p.score or 100), p.a, p.b))
    for pair in found:
        pair.reasons.sort(key=order.get)
    return found[:limit] if limit is not None else found
