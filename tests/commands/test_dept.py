"""crm dept add/list/rename/move: the department tree, and the log rows each change writes."""

from sqlalchemy import select

from crmcli.store.models import Department
from tests.commands._org import audit_rows, snapshot


def _depts(session) -> dict[str, int | None]:
    with session() as s:
        rows = s.execute(select(Department)).scalars().all()
        by_id = {d.id: d for d in rows}
        return {d.name: (by_id[d.parent_id].name if d.parent_id else None) for d in rows}


def test_add_puts_a_department_under_the_top_one_by_default(crm, session):
    result = crm("dept", "add", "Sales", "--json")
    assert result.code == 0, result
    shown = result.json()
    assert shown["name"] == "Sales"
    assert shown["path"] == "Office / Sales"
    assert _depts(session) == {"Office": None, "Sales": "Office"}
    last = audit_rows(session)[-1]
    assert (last.actor_login, last.action, last.record_type, last.record_id) == ("admin", "dept.add", "dept", shown["id"])
    assert last.changes == {"name": [None, "Sales"], "parent_id": [None, shown["parent_id"]]}
    assert last.command == "crm --user admin dept add Sales --json"


def test_add_under_a_parent_named_by_name_id_or_path(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    assert crm("dept", "add", "East", "--parent", "Sales").code == 0
    sales_id = crm("dept", "list", "--json").json()[1]["id"]
    assert crm("dept", "add", "West", "--parent", str(sales_id)).code == 0
    result = crm("dept", "add", "Shanghai", "--parent", "Office / Sales / East", "--json")
    assert result.code == 0, result
    assert result.json()["path"] == "Office / Sales / East / Shanghai"
    assert _depts(session) == {"Office": None, "Sales": "Office", "East": "Sales", "West": "Sales",
                               "Shanghai": "East"}


def test_list_shows_paths_sorted_and_active_user_counts(crm):
    for args in (("dept", "add", "Sales"), ("dept", "add", "华东", "--parent", "Sales"), ("dept", "add", "Marketing"),
                 ("user", "add", "bob", "--dept", "华东"), ("user", "add", "ann", "--dept", "华东"),
                 ("user", "add", "cat", "--dept", "Marketing"), ("user", "disable", "cat")):
        assert crm(*args).code == 0
    result = crm("dept", "list")
    assert result.code == 0, result
    rows = result.rows()
    assert rows[0] == ["id", "path", "users", "parent_id"]
    assert [(r[1], r[2]) for r in rows[1:]] == [
        ("Office", "1"), ("Office / Marketing", "0"), ("Office / Sales", "0"), ("Office / Sales / 华东", "2")]


def test_rename_changes_the_name_and_logs_before_and_after(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    result = crm("dept", "rename", "Sales", "销售部", "--json")
    assert result.code == 0, result
    assert result.json()["path"] == "Office / 销售部"
    assert _depts(session) == {"Office": None, "销售部": "Office"}
    last = audit_rows(session)[-1]
    assert (last.action, last.changes) == ("dept.rename", {"name": ["Sales", "销售部"]})


def test_the_top_department_can_be_renamed(crm, session):
    result = crm("dept", "rename", "Office", "办公室")
    assert result.code == 0, result
    assert _depts(session) == {"办公室": None}


def test_rename_to_a_siblings_name_is_a_conflict(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    assert crm("dept", "add", "Marketing").code == 0
    before = snapshot(session)
    result = crm("dept", "rename", "Marketing", "Sales")
    assert result.code == 5
    assert result.err.startswith("crm: error: a department named 'Sales' already exists there")
    assert snapshot(session) == before


def test_add_with_a_duplicate_sibling_name_is_a_conflict_but_cousins_may_share_names(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    assert crm("dept", "add", "Marketing").code == 0
    assert crm("dept", "add", "East", "--parent", "Sales").code == 0
    assert crm("dept", "add", "East", "--parent", "Marketing").code == 0
    before = snapshot(session)
    result = crm("dept", "add", "East", "--parent", "Sales")
    assert result.code == 5
    assert result.err.startswith("crm: error: a department named 'East' already exists there (id ")
    assert snapshot(session) == before
    # now 'East' alone is ambiguous: the error names both candidates and nothing is written
    ambiguous = crm("dept", "add", "Shanghai", "--parent", "East")
    assert ambiguous.code == 6
    assert "'East' could mean several department records" in ambiguous.err
    assert "Office / Sales / East" in ambiguous.err and "Office / Marketing / East" in ambiguous.err
    assert snapshot(session) == before


def test_bad_names_are_refused(crm, session):
    before = snapshot(session)
    for name, message in (("  ", "a department needs a name"), ("A/B", "a department name may not contain '/'"),
                          ("x" * 121, "a department name may be at most 120 characters")):
        result = crm("dept", "add", name)
        assert result.code == 6, (name, result)
        assert result.err == f"crm: error: {message}\n"
    assert snapshot(session) == before


def test_move_reparents_and_logs_the_old_and_new_parent(crm, session):
    for args in (("dept", "add", "Sales"), ("dept", "add", "Marketing"), ("dept", "add", "East", "--parent", "Sales")):
        assert crm(*args).code == 0
    ids = {d["name"]: d["id"] for d in crm("dept", "list", "--json").json()}
    result = crm("dept", "move", "East", "--to", "Marketing", "--json")
    assert result.code == 0, result
    assert result.json()["path"] == "Office / Marketing / East"
    assert _depts(session)["East"] == "Marketing"
    last = audit_rows(session)[-1]
    assert (last.action, last.record_id, last.changes) == (
        "dept.move", ids["East"], {"parent_id": [ids["Sales"], ids["Marketing"]]})


def test_move_under_itself_or_a_descendant_is_a_cycle(crm, session):
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"),
                 ("dept", "add", "Shanghai", "--parent", "East")):
        assert crm(*args).code == 0
    before = snapshot(session)
    for target in ("Shanghai", "Sales", "East"):
        result = crm("dept", "move", "Sales", "--to", target)
        assert result.code == 6, result
        assert result.err == (f"crm: error: moving 'Sales' under '{target}' would make a cycle "
                              "in the department tree\n")
    top = crm("dept", "move", "Office", "--to", "Shanghai")
    assert top.code == 6
    assert "would make a cycle" in top.err
    assert snapshot(session) == before


def test_dept_changes_need_permissions(crm, session):
    assert crm("user", "add", "rep", "--role", "sales_rep").code == 0
    assert crm("dept", "add", "Sales").code == 0
    before = snapshot(session)
    for args, perm in ((("dept", "add", "X"), "dept.create"), (("dept", "rename", "Sales", "Y"), "dept.edit"),
                       (("dept", "move", "Sales", "--to", "Office"), "dept.edit")):
        result = crm(*args, user="rep")
        assert result.code == 4, result
        assert result.err.startswith(f"crm: error: rep may not {perm} (hint: ")
    assert snapshot(session) == before
    # but a sales rep may read the tree
    listed = crm("dept", "list", "--format", "ids", user="rep")
    assert listed.code == 0 and listed.out.split() == [str(d["id"]) for d in crm("dept", "list", "--json").json()]


def test_move_next_to_a_sibling_of_the_same_name_is_a_conflict(crm, session):
    for args in (("dept", "add", "Sales"), ("dept", "add", "Marketing"), ("dept", "add", "East", "--parent", "Sales"),
                 ("dept", "add", "East", "--parent", "Marketing")):
        assert crm(*args).code == 0
    before = snapshot(session)
    result = crm("dept", "move", "Office / Sales / East", "--to", "Marketing")
    assert result.code == 5
    assert result.err.startswith("crm: error: a department named 'East' already exists there (id ")
    assert snapshot(session) == before
