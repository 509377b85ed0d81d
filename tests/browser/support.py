"""What the browser tests share: moving with the keyboard, emailed links,
and axe audits."""

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import Page

FAILING_IMPACTS = {"serious", "critical"}
_axe = Axe()

DESCRIBE_FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "<body>";
    const label = el.labels && el.labels.length ? el.labels[0].innerText : (el.innerText || "");
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> ${label.trim().slice(0, 40)}`;
}"""


def focus_description(page: Page) -> str:
    return str(page.evaluate(DESCRIBE_FOCUS))


def is_focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector))


def assert_focused(page: Page, selector: str) -> None:
    assert is_focused(page, selector), f"focus is on {focus_description(page)}, not {selector}"


def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 30) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`,
    as a keyboard user would; fail listing every stop if it is never reached."""
    key = "Shift+Tab" if backwards else "Tab"
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        if is_focused(page, selector):
            return
        stops.append(focus_description(page))
    raise AssertionError(f"{key} never reached {selector}; it stopped on:\n  " + "\n  ".join(stops))


FOCUS_OUTLINE = """() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
            shown: box.width > 0 && box.height > 0 && style.visibility !== "hidden"};
}"""


def assert_focus_visible(page: Page) -> None:
    """The focused element shows the site's focus indicator: a solid outline
    at least 3 px wide (static/site.css), on an element that is on screen."""
    style = page.evaluate(FOCUS_OUTLINE)
    where = focus_description(page)
    assert style is not None, "nothing has the focus"
    assert style["shown"], f"the focus is on {where}, which is not on screen"
    assert style["style"] == "solid" and style["width"] >= 3, (
        f"no visible focus indicator on {where}: {style}"
    )


def tab_visibly_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 30) -> None:
    """`tab_to`, asserting at every stop on the way that the focus can be seen."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        assert_focus_visible(page)
        if is_focused(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def type_into(page: Page, selector: str, text: str, *, replace: bool = False) -> None:
    """Tab to a text field and type, replacing what is there if asked."""
    tab_to(page, selector)
    if replace:
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.press("Delete")
    page.keyboard.type(text)


def _violation_report(url: str, violations: list[dict[str, Any]], what: str) -> str:
    lines = [f"axe found {len(violations)} {what} on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            targets = ", ".join(" ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    at {targets}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = _axe.run(page)
    failing = [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]
    if failing:
        raise AssertionError(_violation_report(page.url, failing, "serious or critical violation(s)"))


def assert_no_axe_violations(page: Page, where: str = "") -> None:
    """axe-core finds no violation at all, of any impact (minor and moderate
    too), on the page as it is now. `where` names the page in the failure."""
    results = _axe.run(page)
    violations = results.response["violations"]
    if violations:
        raise AssertionError(_violation_report(where or page.url, violations, "violation(s)"))


URL = re.compile(r"https?://[^\s\"<>]+")


def link_in(message: mail.EmailMessage, site: str, path: str) -> str:
    """The first absolute link to `site` + `path` in an email's text body."""
    found = [url for url in URL.findall(str(message.body)) if url.startswith(site + path)]
    assert found, f"no {site}{path} link in: {message.body}"
    return found[0]


def press_and_wait(page: Page, key: str = "Enter") -> None:
    """Press a key that submits a form or follows a link, and wait for the
    page it leads to (a POST that re-renders the same URL included)."""
    with page.expect_navigation():
        page.keyboard.press(key)
