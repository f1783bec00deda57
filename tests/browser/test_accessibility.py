"""axe-core in Chromium on the foundation pages: no serious or critical violation, no CSP error."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

BLOCKING = {"serious", "critical"}

# axe leaves colour contrast "incomplete" when a background image or an overlapping box hides the
# background (Bootstrap Italia's badges, alerts and selects): measure those from computed styles.
COMPUTED_COLOURS = """
element => {
  const rgba = text => (text.match(/[\\d.]+/g) || []).map(Number).concat([1]).slice(0, 4);
  const style = getComputedStyle(element);
  let node = element, background = [255, 255, 255, 1];
  while (node) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] >= 1) { background = colour; break; }
    node = node.parentElement;
  }
  return {fg: rgba(style.color), bg: background, size: parseFloat(style.fontSize),
          weight: parseInt(style.fontWeight, 10)};
}
"""


@pytest.fixture(scope="session")
def axe():
    return Axe()


def _luminance(rgb) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(colours: dict) -> tuple[float, float]:
    """WCAG contrast ratio of text on its background, and the ratio its size requires."""
    alpha = colours["fg"][3]
    fg = [alpha * f + (1 - alpha) * b for f, b in zip(colours["fg"], colours["bg"], strict=False)]
    light, dark = sorted((_luminance(fg), _luminance(colours["bg"])), reverse=True)
    large = colours["size"] >= 24 or (colours["size"] >= 18.66 and colours["weight"] >= 700)
    return (light + 0.05) / (dark + 0.05), 3.0 if large else 4.5


def _undecided_contrast(page, results: dict) -> list[dict]:
    """Colour-contrast checks axe left undecided, with the nodes that fail when measured."""
    checks = []
    for check in results.get("incomplete", []):
        if check["id"] != "color-contrast":
            continue
        failures = []
        for node in check["nodes"]:
            colours = page.locator(" ".join(map(str, node["target"]))).first.evaluate(
                COMPUTED_COLOURS)
            ratio, needed = contrast(colours)
            if ratio < needed:
                failures.append({**node, "failureSummary":
                                 f"contrast {ratio:.2f}:1, needs {needed}:1 (text {colours['fg']} "
                                 f"on {colours['bg']})"})
        if failures:
            checks.append({**check, "id": "color-contrast (measured)", "impact": "serious",
                           "nodes": failures})
    return checks


def assert_accessible(axe, page) -> None:
    """Run axe on the page; fail listing each serious or critical violation and where it is."""
    results = axe.run(page, options={"resultTypes": ["violations", "incomplete"]}).response
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    blocking += _undecided_contrast(page, results)
    report = []
    for violation in blocking:
        report.append(f'[{violation["impact"]}] {violation["id"]}: {violation["help"]} '
                      f'({violation["helpUrl"]})')
        for node in violation["nodes"]:
            report.append(f'    at {" ".join(map(str, node["target"]))}: {node["html"][:200]}')
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                report.append(f"       {summary[:400]}")
    if blocking:
        pytest.fail(f"axe found on {page.url}:\n" + "\n".join(report), pytrace=False)


def test_login_page(page, axe, no_csp_errors):
    page.goto("/accesso")
    expect(page.get_by_role("heading", level=1, name="Accedi a Cartella")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()


def test_login_page_with_an_error(page, axe, no_csp_errors):
    page.goto("/accesso")
    page.get_by_role("button", name="Accedi").click()
    expect(page.locator("#username-error")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()


def test_home_page(page, login, axe, no_csp_errors):
    login("coord.monza")
    page.goto("/")
    assert_accessible(axe, page)
    no_csp_errors()


def test_persons_list_and_search(page, login, axe, no_csp_errors):
    login("coord.monza")
    page.goto("/persone/")
    expect(page.get_by_role("heading", level=1, name="Persone")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("Cerca per cognome, nome o codice fiscale").fill("ross")
    expect(page.get_by_text(re.compile("trovat[ae] per «ross»"))).to_be_visible()  # htmx swap
    assert_accessible(axe, page)
    no_csp_errors()


def test_person_form_with_errors(page, login, axe, no_csp_errors):
    login("amm.monza")
    page.goto("/persone/nuova")
    page.get_by_label("Codice fiscale").fill("RSSMRA41D03F205C")
    page.get_by_role("button", name="Salva").click()
    expect(page.locator("#codice_fiscale-error")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()


def test_person_page(page, login, axe, no_csp_errors):
    login("coord.monza")
    page.goto("/persone/")
    # The demo's person without a codice fiscale: the page adds a badge and a warning.
    page.get_by_role("row").filter(has_text="senza codice fiscale").get_by_role("link").first.click()
    expect(page.get_by_role("alert").filter(has_text="Codice fiscale mancante")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Dati anagrafici")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()


def test_case_page(page, login, axe, no_csp_errors):
    login("coord.monza")
    page.goto("/pratiche/?stato=aperta")
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=2, name="Ciclo della presa in carico")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()


def test_main_menu_reachable_at_400_percent_zoom(page, login, no_csp_errors):
    """WCAG 1.4.10: at 320 CSS pixels (a 1280 screen at 400%) the main menu is still there."""
    login("coord.monza")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/persone/")
    menu = page.get_by_role("navigation", name="Menu principale")
    for name in ("I miei casi", "Pratiche", "Persone"):
        link = menu.get_by_role("link", name=name)
        expect(link).to_be_in_viewport()
    menu.get_by_role("link", name="Pratiche").click()
    expect(page.get_by_role("heading", level=1, name="Pratiche")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Vai al contenuto")).to_be_focused()
    expect(page.get_by_role("link", name="Vai al contenuto")).to_be_in_viewport()
    no_csp_errors()
