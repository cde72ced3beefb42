"""Every notebook and the app mode in a real browser: JupyterLab and Voila in headless Chromium.

For each notebook of ``notebooks/`` (found by glob when the tests are collected) JupyterLab
opens it (it must not show as modified), runs all cells, and the test checks: no error and no
stderr output, no figure wider than the notebook column (shown scaled down), no widget shown as its text repr, no "Error displaying widget"; every explorer
(an ``*_explorer(...)`` call in a code cell) is drawn with an image, its preset dropdown names
a preset or "(custom)", and one key press on its first slider replaces the image within 2 s
(times the machine's load per core when that exceeds 1; the measured times and limits are
printed at the end and written to ``timings.json``). ``netchaos app`` serves one notebook and
one explorer through Voila, with the same checks on the explorer. Screenshots of every
explorer before and after the key press go to the folder that browser_servers.py names.
"""

import glob
import os
import re
import time

import pytest
from browser_servers import (  # noqa: F401  (fixtures)
    REPORT,
    ROOT,
    app_server,
    browser,
    lab,
    report,
    shots,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

NOTEBOOKS = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.ipynb")))
REDRAW_LIMIT = 2.0       # seconds from the key press to the new image, on an idle machine
RUN_TIMEOUT = 300        # seconds for all cells of one notebook
WIDGET_REPRS = ("HBox(children=", "VBox(children=", "VBox(", "interactive(", "Explorer(",
                "Output(", "FloatSlider(", "IntSlider(", "Dropdown(")
REOPEN = "01"            # the notebook also saved and reopened with a fresh kernel
EXPLORER_CALL = re.compile(r"\b\w+_explorer\(")

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("report")]

_APP = "window.jupyterapp"
_CURRENT = f"{_APP}.shell.currentWidget"

# every output of the open notebook, reduced to what the checks need
_OUTPUTS_JS = f"""() => {{
  const cells = {_CURRENT}.content.model.cells, res = [];
  for (let i = 0; i < cells.length; i++) {{
    const c = cells.get(i).toJSON();
    if (c.cell_type !== 'code') continue;
    const src = Array.isArray(c.source) ? c.source.join('') : c.source;
    res.push({{index: i, source: src, count: c.execution_count, outputs: c.outputs.map(o => ({{
      type: o.output_type, name: o.name || null,
      text: [].concat(o.text || []).join('') + [].concat(o.traceback || []).join('\\n')
            + (o.ename ? o.ename + ': ' + o.evalue : ''),
      mimes: o.data ? Object.keys(o.data) : [],
      plain: o.data && o.data['text/plain'] ? [].concat(o.data['text/plain']).join('') : ''}}))
    }});
  }}
  return res;
}}"""


# figures shown smaller than they were drawn (wider than the notebook column)
_SHRUNK_JS = """async p => {
  const out = [];
  for (const img of p.querySelectorAll('.jp-OutputArea-output img')) {
    img.scrollIntoView();
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    if (img.naturalWidth > img.clientWidth + 2)
      out.push(img.naturalWidth + ' px shown at ' + img.clientWidth + ' px');
  }
  return out;
}"""


def _limit():
    """The redraw limit, scaled by the load per core when the machine is busier than that."""
    load = os.getloadavg()[0]
    return REDRAW_LIMIT * max(1.0, load / (os.cpu_count() or 1)), load


def _check_explorer(page, explorer, name, shots):
    """Screenshots before/after one key press on the first slider; returns the timing."""
    explorer.scroll_into_view_if_needed()
    img = explorer.locator(".widget-output img").first
    img.wait_for(state="visible", timeout=60_000)
    for select in explorer.locator("select").all():
        label = select.evaluate("s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''")
        assert label.strip(), f"{name}: a dropdown shows no selection"
    explorer.screenshot(path=os.path.join(shots, f"{name}-before.png"))
    handle = explorer.locator(".noUi-handle").first
    now, top = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemax"))
    key = "ArrowLeft" if now >= top else "ArrowRight"
    before = img.get_attribute("src")
    summary0 = explorer.locator(".widget-html").first.inner_text()
    limit, load = _limit()
    handle.focus()
    t0 = time.perf_counter()
    page.keyboard.press(key)
    page.wait_for_function(
        "([el, old]) => { const i = el.querySelector('.widget-output img');"
        " return i && i.getAttribute('src') !== old; }",
        arg=[explorer.element_handle(), before], timeout=120_000, polling=10)
    dt = time.perf_counter() - t0
    page.wait_for_timeout(200)
    explorer.screenshot(path=os.path.join(shots, f"{name}-after.png"))
    summary = explorer.locator(".widget-html").first.inner_text()
    assert summary.strip(), f"{name}: empty summary line"
    assert "Error" not in summary, f"{name}: {summary}"
    entry = {"name": name, "redraw_s": round(dt, 3), "limit_s": round(limit, 2),
             "load": round(load, 2), "key": key, "summary_before": summary0,
             "summary_after": summary}
    assert dt < limit, (f"{name}: the new image came {dt:.2f} s after the key press "
                        f"(limit {limit:.1f} s at load {load:.1f})")
    return entry


def _widget_errors(page, root):
    """Texts of widget outputs that failed to draw."""
    return root.evaluate("""r => [...r.querySelectorAll('.jupyter-widgets, .jp-OutputArea-output')]
        .map(e => e.textContent).filter(t => t.includes('Error displaying widget'))""")


def _wait_open(page):
    """Wait until the notebook of the page is loaded and its kernel is connected."""
    page.wait_for_function(f"{_APP} && {_APP}.shell && {_CURRENT} && {_CURRENT}.context && "
                           f"{_CURRENT}.context.isReady && {_CURRENT}.sessionContext && "
                           f"{_CURRENT}.sessionContext.session && "
                           f"{_CURRENT}.sessionContext.session.kernel", timeout=60_000)
    page.evaluate(f"{_CURRENT}.sessionContext.ready")
    page.wait_for_timeout(500)


def _check_reopened(page, expected, shots, stem):
    """Save, restart the kernel, reload: each explorer's output says the model is gone, and
    the re-run hint below it is visible."""
    page.evaluate(f"{_APP}.commands.execute('docmanager:save')")
    page.evaluate(f"{_CURRENT}.sessionContext.session.kernel.restart()")
    page.reload()
    _wait_open(page)
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    # cells of a reopened notebook are drawn as they come into view: scroll down until every
    # explorer's output says that its model is gone
    page.wait_for_function(
        """([p, n]) => { const o = p.querySelector('.jp-WindowedPanel-outer');
           if (o) o.scrollTop += 600;
           return [...p.querySelectorAll('.jp-OutputArea-output')]
             .filter(e => e.textContent.includes('model not found')).length >= n
             && p.querySelectorAll('.netchaos-hint').length >= n; }""",
        arg=[panel.element_handle(), expected], timeout=90_000, polling=200)
    hints = panel.locator(".netchaos-hint")
    assert hints.count() == expected
    for k, h in enumerate(hints.all()):
        h.scroll_into_view_if_needed()
        assert h.is_visible(), "no re-run hint under a widget whose model is gone"
        area = h.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), "
                         "' jp-OutputArea ')][1]")
        area.screenshot(path=os.path.join(shots, f"{stem}-explorer{k + 1}-reopened.png"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_in_jupyterlab(notebook, lab, browser, shots):
    stem = notebook[:2]
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}&reset", timeout=60_000)
        _wait_open(page)
        assert not page.evaluate(f"{_CURRENT}.context.model.dirty"), \
            f"{notebook} shows as modified right after opening"
        t0 = time.perf_counter()
        page.evaluate(f"""() => {{ window.__ncDone = undefined;
            {_APP}.commands.execute('notebook:run-all-cells')
              .then(r => {{ window.__ncDone = String(r); }},
                    e => {{ window.__ncDone = 'failed: ' + e; }}); }}""")
        page.wait_for_function("window.__ncDone !== undefined", timeout=RUN_TIMEOUT * 1000,
                               polling=250)
        page.wait_for_function(f"{_CURRENT}.sessionContext.session.kernel.status === 'idle'",
                               timeout=60_000)
        run_s = time.perf_counter() - t0
        cells = page.evaluate(_OUTPUTS_JS)
        problems = []
        for c in cells:
            if c["count"] is None:
                problems.append(f"cell {c['index']} did not run")
            for o in c["outputs"]:
                if o["type"] == "error" or o["name"] == "stderr":
                    problems.append(f"cell {c['index']} {o['type']} {o['name'] or ''}: "
                                    f"{o['text'][:600]}")
                if o["mimes"] == ["text/plain"] and o["plain"].startswith(WIDGET_REPRS):
                    problems.append(f"cell {c['index']} shows a widget as text: {o['plain'][:80]}")
        assert page.evaluate("window.__ncDone") == "true", \
            f"run all cells: {page.evaluate('window.__ncDone')}; " + "; ".join(problems)
        assert not problems, "\n".join(problems)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        assert not _widget_errors(page, panel), f"{notebook}: a widget failed to draw"
        shrunk = panel.evaluate(_SHRUNK_JS)
        assert not shrunk, f"{notebook}: figures scaled down to fit the column: {shrunk}"
        expected = sum(len(EXPLORER_CALL.findall(c["source"])) for c in cells)
        explorers = panel.locator(".netchaos-explorer")
        try:                     # widgets are drawn after the kernel's messages: wait for them
            page.wait_for_function(
                "([p, n]) => p.querySelectorAll('.netchaos-explorer').length >= n",
                arg=[panel.element_handle(), expected], timeout=60_000, polling=200)
        except PlaywrightTimeout:
            pass                 # the count below says how many were drawn
        assert explorers.count() == expected, \
            f"{notebook}: {explorers.count()} explorers drawn, {expected} called"
        entries = [_check_explorer(page, explorers.nth(k), f"{stem}-explorer{k + 1}", shots)
                   for k in range(expected)]
        assert not _widget_errors(page, panel)
        hints = panel.locator(".netchaos-hint")
        assert hints.count() == expected, "every explorer carries its re-run hint"
        assert not any(h.is_visible() for h in hints.all()), \
            "the re-run hint shows beside a live explorer"
        REPORT["notebooks"][notebook] = {"run_s": round(run_s, 1), "explorers": entries}
        if stem == REOPEN:
            _check_reopened(page, expected, shots, stem)
    finally:
        page.close()


@pytest.mark.parametrize("target", ["04", "ensemble"])
def test_app_mode_serves_a_live_explorer(target, app_server, browser, shots):
    server = app_server(target)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        t0 = time.perf_counter()
        page.goto(f"{server.url}/?token={server.token}", timeout=300_000)
        explorer = page.locator(".netchaos-explorer").first
        explorer.locator(".widget-output img").first.wait_for(state="visible", timeout=300_000)
        first = time.perf_counter() - t0
        assert page.locator(".netchaos-explorer").count() == 1
        body = page.locator("body")
        text = body.text_content()
        assert "Error displaying widget" not in text
        assert not any(r in text for r in ("HBox(children=", "VBox(children=", "Explorer("))
        assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        assert not any(h.is_visible() for h in page.locator(".netchaos-hint").all())
        entry = _check_explorer(page, explorer, f"app-{target}", shots)
        page.screenshot(path=os.path.join(shots, f"app-{target}-page.png"))
        REPORT["app"][target] = {"first_render_s": round(first, 1), **entry}
    finally:
        page.close()
