"""Each role logs in and sees what it may (issue 15): the Viewer and the Inspector write nothing."""

import pytest

pytestmark = pytest.mark.browser

ADD_PAGES = [
    "/admin/fueltickets/dailyfuelticket/add/",
    "/admin/soundings/weeklysounding/add/",
    "/admin/soundings/orbentry/add/",
]


@pytest.mark.parametrize("username", ["chief", "smith", "master", "inspector", "viewer"])
def test_each_role_logs_in_to_the_dashboard_and_the_book(open_page, username):
    page = open_page()
    page.login(username)
    assert "Fuel" in page.page.inner_text("body")
    if username == "chief":
        page.screenshot("dashboard")
    assert page.go("/orb-book/") == 200
    assert page.go("/admin/") == 200
    if username == "chief":
        page.screenshot("admin-index")


@pytest.mark.parametrize("username", ["inspector", "viewer"])
def test_the_viewer_and_the_inspector_cannot_write(open_page, username):
    page = open_page()
    page.login(username)
    page.go("/admin/")
    links = page.page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href') || '')")
    assert not [href for href in links if href.endswith("/add/")], links
    for path in ADD_PAGES:
        assert page.go(path) == 403, path
    page.problems[:] = [p for p in page.problems if "403" not in p and "Forbidden" not in p]


def test_only_the_inspector_reads_the_audit_trail(open_page):
    inspector, viewer = open_page(), open_page()
    inspector.login("inspector")
    viewer.login("viewer")
    assert inspector.go("/admin/soundings/auditevent/") == 200
    assert viewer.go("/admin/soundings/auditevent/") == 403
    viewer.problems[:] = [p for p in viewer.problems if "403" not in p and "Forbidden" not in p]
