"""crm batch FILE|-: one command per line, one transaction per line, stop at the first failure."""

from tests.commands._org import audit_rows, build_org, snapshot, user_row


def _logins(crm) -> list[str]:
    return [u["login"] for u in crm("user", "list", "--all", "--json").json()]


def test_runs_every_line_skipping_comments_and_blank_lines(crm, session, tmp_path):
    script = tmp_path / "people.crm"
    script.write_text(
        "# new hires\n"
        "\n"
        "dept add Sales\n"
        "   # an indented comment\n"
        "crm user add ann --name 'Ann Wu' --dept Sales\n"
        'user add ben --name "Ben \\"B\\" Li"\n'
        "user add fang --name 王芳\n", encoding="utf-8")
    result = crm("batch", str(script))
    assert result.code == 0, result
    assert result.err == "line 3: ok\nline 5: ok\nline 6: ok\nline 7: ok\n4 lines ok, 0 failed\n"
    assert _logins(crm) == ["admin", "ann", "ben", "fang"]
    assert user_row(session, "ann").name == "Ann Wu"
    assert user_row(session, "ben").name == 'Ben "B" Li'
    assert user_row(session, "fang").name == "王芳"
    # each line is logged as its own command
    assert [r.command.split(" user ")[-1] for r in audit_rows(session)[-3:]] == [
        "add ann --name 'Ann Wu' --dept Sales", "add ben --name 'Ben \"B\" Li'", "add fang --name '王芳'"]


def test_reads_stdin_and_prints_each_lines_output(crm):
    result = crm("batch", "-", "--format", "ids", stdin="user add ann\nuser add ben\nuser show ann\n")
    assert result.code == 0, result
    assert result.out == "2\n3\n2\n"


def test_stops_at_the_first_failure_with_its_exit_code(crm, session):
    result = crm("batch", "-", stdin="user add ann\nuser add ann\nuser add ben\n")
    assert result.code == 5
    assert result.err == ("line 1: ok\n"
                          "crm: error: the login 'ann' is taken (user 2)\n"
                          "line 2: failed (exit 5)\n"
                          "1 lines ok, 1 failed\n")
    assert _logins(crm) == ["admin", "ann"]  # line 1 was committed, line 3 never ran


def test_keep_going_runs_the_rest_and_returns_the_first_failure(crm):
    result = crm("batch", "--keep-going", "-",
                 stdin="user add ann\nuser add ann\nuser add ben --dept Nowhere\nuser add carl\n")
    assert result.code == 5
    assert result.err.splitlines() == [
        "line 1: ok",
        "crm: error: the login 'ann' is taken (user 2)", "line 2: failed (exit 5)",
        "crm: error: no department named 'Nowhere'", "line 3: failed (exit 3)",
        "line 4: ok",
        "2 lines ok, 2 failed",
    ]
    assert _logins(crm) == ["admin", "ann", "carl"]


def test_an_unreadable_line_is_a_usage_error(crm, session):
    before = snapshot(session)
    result = crm("batch", "-", stdin="user add 'ann\nuser add ben\n")
    assert result.code == 2
    assert result.err == ("crm: line 1: cannot read the line: No closing quotation\n"
                          "line 1: failed (exit 2)\n"
                          "0 lines ok, 1 failed\n")
    assert snapshot(session) == before


def test_a_line_that_fails_half_way_leaves_nothing_behind(crm, session):
    """mgr may create users, but only in their scope: the refused user was already flushed when refused."""
    build_org(crm)
    assert crm("role", "grant", "sales_manager", "user.create").code == 0
    result = crm("batch", "--keep-going", "-", user="mgr",
                 stdin="user add inside --dept East\nuser add outside --dept Marketing\n")
    assert result.code == 4
    assert user_row(session, "inside") is not None
    assert user_row(session, "outside") is None
    assert not [r for r in audit_rows(session) if r.record_label == "outside"]


def test_global_options_apply_to_every_line_unless_a_line_sets_its_own(crm, session):
    build_org(crm)
    result = crm("batch", "--quiet", "-", user="rep",
                 stdin="user edit me --phone 1\n--user rep2 user edit me --phone 2\nuser show me --json\n")
    assert result.code == 0, result
    assert result.err == ""  # --quiet: no progress, no summary
    assert result.out.count('"login": "rep"') == 1
    assert (user_row(session, "rep").phone, user_row(session, "rep2").phone) == ("1", "2")
    assert [r.actor_login for r in audit_rows(session)[-2:]] == ["rep", "rep2"]


def test_batch_cannot_run_batch(crm, session):
    before = snapshot(session)
    result = crm("batch", "-", stdin="crm batch -\n")
    assert result.code == 2
    assert result.err.startswith("crm: line 1: batch cannot run batch\n")
    assert snapshot(session) == before


def test_a_missing_file_is_an_error(crm, tmp_path):
    missing = tmp_path / "nope.crm"
    result = crm("batch", str(missing))
    assert (result.code, result.err) == (1, f"crm: error: cannot read {missing}: No such file or directory\n")


def test_an_empty_batch_does_nothing(crm, session):
    before = snapshot(session)
    result = crm("batch", "-", stdin="# nothing\n\n")
    assert (result.code, result.err) == (0, "0 lines ok, 0 failed\n")
    assert snapshot(session) == before


def test_a_trailing_comment_is_not_part_of_the_command(crm, session):
    result = crm("batch", "-", stdin="user add zed --name Zed  # the new intern\n")
    assert result.code == 0, result
    with session() as s:
        from sqlalchemy import select

        from crmcli.store.models import User

        assert s.execute(select(User.name).where(User.login == "zed")).scalar() == "Zed"


# --- what a file may hold: a byte-order mark, other encodings, long lines --------------------


def test_a_utf8_byte_order_mark_is_ignored(crm, tmp_path):
    script = tmp_path / "bom.crm"
    script.write_bytes("\ufeffdept add Sales\n".encode("utf-8"))
    result = crm("batch", str(script))
    assert result.code == 0, result
    assert "Sales" in crm("dept", "list").out


def test_a_line_that_is_not_utf8_is_a_validation_error_naming_it(crm, session, tmp_path):
    script = tmp_path / "gbk.crm"
    script.write_bytes(b"dept add Sales\n" + "dept add 销售部\n".encode("gbk") + b"dept add Late\n")
    before_depts = crm("dept", "list", "--format", "ids").out
    result = crm("batch", str(script))
    assert result.code == 6, result
    assert "crm: line 2: not UTF-8 text (byte 0xcf at column 10); save the file as UTF-8" in result.err
    assert "line 1: ok" in result.err and "Late" not in crm("dept", "list").out
    assert before_depts != crm("dept", "list", "--format", "ids").out  # line 1 committed on its own


def test_a_one_megabyte_line_is_read_at_once(crm, tmp_path):
    """shlex took a minute for this (quadratic); the splitter is linear."""
    script = tmp_path / "long.crm"
    script.write_text("dept add '" + "x" * 1_000_000 + "'\n", encoding="utf-8")
    result = crm("batch", str(script))
    assert "internal error" not in result.err
    assert result.code in (0, 6), result  # a name that long may be refused as too long; either is one line


def test_words_split_as_shlex_does():
    import random
    import shlex

    from crmcli import shellwords

    alphabet = ["a", "b", " ", "\t", '"', "'", "\\", "#", "中", "\u3000", "$"]
    rng = random.Random(7)
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        try:
            expected = shlex.split(line, comments=True)
        except ValueError:
            expected = ValueError
        try:
            got = shellwords.split(line)
        except ValueError:
            got = ValueError
        assert got == expected, line
