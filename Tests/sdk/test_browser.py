"""The whole human path in a real browser: headless Chromium (Debian's package) driven through the DevTools
protocol. An applicant uploads sample documents, corrects a field and confirms; a reviewer signs in, opens the
application from the queue, sees the correction highlighted, approves; the decision is in the audit history.
Each page is audited for accessibility as shown (labels, alt text, contrast, focus outlines; see
accessibility_problems). Screenshots of each step are kept in .build/artifacts/browser/."""
import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
import websocket

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CENTAUR_BIN", str(ROOT / ".build" / "debug" / "centaur"))
SAMPLES = ROOT / ".centaur" / "samples" / "person-02"
ARTIFACTS = ROOT / ".build" / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or not SAMPLES.exists()) and os.environ.get("CENTAUR_REQUIRE_SAMPLES") != "1",
    reason="needs chromium (scripts/setup-system) and the samples (scripts/generate-samples)")


class Browser:
    """A page in headless Chromium over the DevTools protocol."""

    def __init__(self, work):
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", f"--user-data-dir={work}/profile",
             "--window-size=1200,1600", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + 30
        while time.time() < deadline and port is None:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
        assert port, "chromium did not start"
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.call("Page.enable")
        self.call("DOM.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})

    def go(self, url):
        self.call("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'")

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait(self, expression, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.js(expression):
                    return
            except AssertionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}; page text: {self.text()[:500]}")

    def text(self):
        return self.js("document.body ? document.body.innerText : ''") or ""

    def set_file(self, selector, path):
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.call("DOM.setFileInputFiles", nodeId=node, files=[str(path)])

    def viewport(self, width, height, mobile=False):
        """Sizes the page as a phone (390×844, touch) or a laptop (1280×800) shows it."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def accessibility_problems(self):
        """What a screen-reader or keyboard user would trip over on the page as shown: form controls without a
        label, images without alt text, buttons without a name, repeated ids, visible text below WCAG AA contrast
        (4.5:1, computed from the styles as drawn), and focusable controls with no visible focus outline."""
        self.call("Emulation.setFocusEmulationEnabled", enabled=True)
        return self.js(ACCESSIBILITY_AUDIT)

    def fits_width(self):
        """Nothing on the page needs sideways scrolling."""
        return self.js("document.documentElement.scrollWidth <= window.innerWidth + 1")

    def screenshot(self, name, whole_page=True):
        """Saves a PNG under .build/artifacts/browser. A sticky pane is drawn where the page was scrolled to in a
        whole-page capture, so two-pane pages are captured as the viewport shows them, from the top."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if not whole_page:
            self.js("window.scrollTo(0, 0)")
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=whole_page)["data"]
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self):
        self.ws.close()
        self.process.kill()
        self.process.wait(timeout=10)


ACCESSIBILITY_AUDIT = r"""(() => {
  const problems = [];
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(el => {
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) problems.push('no label: ' + (el.id || el.name));
  });
  document.querySelectorAll('img').forEach(img => { if (!img.hasAttribute('alt')) problems.push('no alt text: ' + img.src); });
  document.querySelectorAll('button').forEach(b => { if (!(b.textContent.trim() || b.getAttribute('aria-label'))) problems.push('button without a name'); });
  const ids = new Set();
  document.querySelectorAll('[id]').forEach(e => { if (ids.has(e.id)) problems.push('repeated id: ' + e.id); ids.add(e.id); });
  const channels = c => (c.match(/[\d.]+/g) || []).map(Number);
  const luminance = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const backdrop = el => { for (; el; el = el.parentElement) { const c = channels(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || checked.has(el) || !shown(el)) continue;
    checked.add(el);
    const a = luminance(channels(getComputedStyle(el).color)), b = luminance(backdrop(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ':1 for "' + walker.currentNode.textContent.trim().slice(0, 40) + '"');
  }
  const before = document.activeElement;
  document.querySelectorAll('a[href], button, input:not([type=hidden]):not(.visually-hidden), select, textarea').forEach(el => {
    if (!shown(el)) return;
    el.focus();
    if (document.activeElement === el && getComputedStyle(el).outlineStyle === 'none') problems.push('no focus outline: ' + (el.id || el.textContent.trim().slice(0, 30) || el.tagName));
  });
  if (before && before.focus) before.focus(); else document.activeElement.blur();
  return problems;
})()"""


def test_applicant_and_reviewer_in_a_real_browser():
    work = pathlib.Path(tempfile.mkdtemp(prefix="centaur-browser-"))
    data = work / "data"
    config = work / "centaur.yaml"
    config.write_text("""
providers:
  nowhere: { kind: openai, api_key: k, base_url: "http://127.0.0.1:9/v1", flavor: compatible }
models:
  unused: { provider: nowhere, id: unused }
default_model: unused
""")
    created = subprocess.run([BIN, "users", "create", "--username", "ana", "--role", "reviewer", "--data-dir", str(data)],
                             input="correct horse battery", capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    created = subprocess.run([BIN, "users", "create", "--username", "root", "--role", "admin", "--data-dir", str(data)],
                             input="another long passphrase", capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    server = subprocess.Popen([BIN, "serve", "--config", str(config), "--data-dir", str(data), "--port", "0", "--extraction-model", "none"],
                              stdout=subprocess.PIPE, stderr=open(work / "serve.log", "w"), text=True)
    url = None
    while url is None:
        line = server.stdout.readline()
        assert line, "centaur serve did not start"
        if line.startswith("centaur listening on "):
            url = line.split()[-1].strip()
    browser = Browser(work)
    try:
        request = urllib.request.Request(url + "/api/applications", data=b'{"market_state":"IL"}', method="POST")
        application = json.loads(urllib.request.urlopen(request).read())
        token = application["token"]

        # The applicant, on a phone, uploads the licence back and the I-9, with a progress bar.
        browser.viewport(390, 844, mobile=True)
        browser.go(f"{url}/apply/{token}")
        assert browser.fits_width(), "the applicant's page fits a phone"
        assert "waiting for your documents" in browser.text()
        # One step a document: the front first, with a camera button and a file chooser.
        visible = "Array.from(document.querySelectorAll('#upload .step')).filter(s => !s.hidden).map(s => s.dataset.kind)"
        assert browser.js(visible) == ["license_front"]
        assert browser.js("document.getElementById('license_front-camera').getAttribute('capture')") == "environment"
        assert browser.accessibility_problems() == []
        browser.screenshot("1-applicant-step-1")
        assert browser.js("document.querySelector('#step-license_front .next').textContent") == "Skip for now"
        browser.js("document.querySelector('#step-license_front .next').click()")
        assert browser.js(visible) == ["license_back"]
        browser.set_file("#license_back", SAMPLES / "license-back.png")
        browser.wait("document.getElementById('chosen-license_back').textContent.startsWith('Chosen: license-back.png')")
        browser.js("document.querySelector('#step-license_back .next').click()")
        browser.set_file("#i9", SAMPLES / "i9.pdf")
        browser.wait("document.querySelector('#step-i9 .next').textContent === 'Next'")
        browser.js("document.querySelector('#step-i9 .next').click()")
        assert browser.js(visible) == ["send"]
        summary = browser.js("document.getElementById('summary').textContent")
        assert "license-back.png" in summary and "i9.pdf" in summary and "Not yet chosen: Driver licence — front" in summary, summary
        browser.screenshot("1-applicant-upload")
        browser.js("document.getElementById('upload-button').click()")
        browser.wait("document.getElementById('confirm') !== null", timeout=120)
        assert browser.fits_width(), "the values to check fit a phone"
        # Plain labels, grouped; the employer's Section 2 is not the applicant's to check; the SSN is masked until shown.
        text = browser.text()
        assert "Date of birth" in text and "Your Form I-9 (Section 1)" in text and "first day employed" not in text.lower(), text[:2000]
        # The value being checked is outlined where the document shows it.
        boxes = browser.js("Array.from(document.querySelectorAll('.box[data-fields]')).map(b => b.dataset.fields).join(' ').split(' ')")
        assert "us-drivers-license.first_name" in boxes, boxes
        # (A headless page has no window focus, so the focus event is sent as the browser would send it.)
        assert browser.js("document.getElementById('us-drivers-license.first_name').dispatchEvent(new Event('focus')); "
                          "document.querySelectorAll('.box.active').length") == 1
        assert browser.js("document.getElementById('form-i9.ssn').type") == "password"
        browser.js("document.querySelector('button[aria-controls=\"form-i9.ssn\"]').click()")
        assert browser.js("document.getElementById('form-i9.ssn').type") == "text"
        # The I-9 PDF is shown as page images beside the values.
        browser.wait("Array.from(document.querySelectorAll('img[src*=\"/pages/\"]')).some(i => i.complete && i.naturalWidth > 500)")
        # Only the page with the applicant's part: the values are not pushed a phone's screen away.
        assert browser.js("document.querySelectorAll('img[src*=\"/pages/\"]').length") == 1
        assert re.search(r"Page 1 of \d+: your part\.", browser.text()), browser.text()[:2000]
        assert browser.accessibility_problems() == []
        browser.screenshot("2-applicant-values")

        # The applicant corrects the licence's first name and confirms.
        original = browser.js("document.getElementById('us-drivers-license.first_name').value")
        assert original
        browser.js("var i = document.getElementById('us-drivers-license.first_name'); i.value = 'ROBERTA'; "
                   "i.dispatchEvent(new Event('input')); i.classList.contains('adjusted')")
        browser.js("document.getElementById('confirm').submit()")
        browser.wait("document.getElementById('state') && document.getElementById('state').innerText.includes('reviewed')")
        browser.screenshot("3-applicant-status")

        # A reviewer, on a laptop, signs in, opens the application from the queue and sees the change highlighted.
        browser.viewport(1280, 800)
        browser.go(f"{url}/review")
        assert "Sign in" in browser.text()
        browser.js("document.getElementById('username').value = 'ana'; document.getElementById('password').value = 'correct horse battery'; "
                   "document.querySelector('form[action=\"/review/login\"]').submit()")
        browser.wait("document.title.startsWith('Review queue')")
        assert application["id"] in browser.text()
        assert browser.accessibility_problems() == []
        browser.screenshot("4-review-queue")
        # Keyboard: the first row is selected; j and k move the selection.
        assert browser.js("document.querySelector('#queue tr.item').classList.contains('selected')")
        browser.js("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', bubbles: true}))")
        assert browser.js("document.querySelectorAll('#queue tr.selected').length") == 1
        browser.js("document.getElementById('next').click()")
        browser.wait("document.getElementById('audit') !== null")
        highlighted = browser.js("Array.from(document.querySelectorAll('tr.adjusted')).map(r => r.dataset.field)")
        assert "us-drivers-license.first_name" in highlighted
        assert "ROBERTA" in browser.text()
        # Each source still shows what it read: the barcode said the original name.
        sources = browser.js("document.querySelector('tr[data-field=\"us-drivers-license.first_name\"] td:last-child').innerText")
        assert f"barcode: {original}" in sources, sources
        assert browser.accessibility_problems() == []
        # Documents one at a time (tabs), the PDF's pages with a page switch, zoom that keeps the outlines on the values.
        tabs = browser.js("Array.from(document.querySelectorAll('#doc-tools .tab')).map(t => t.textContent)")
        assert len(tabs) == 2 and browser.js("document.querySelectorAll('#docs figure:not([hidden])').length") == 1, tabs
        browser.js("document.getElementById('zoom-level').nextElementSibling.click()")
        assert browser.js("document.getElementById('zoom-level').textContent") == "125%"
        assert browser.js("document.querySelector('#docs figure:not([hidden]) .doc').style.width") == "125%"
        browser.screenshot("5-review-application", whole_page=False)
        browser.js("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'd', bubbles: true}))")
        shown = "document.querySelector('#docs figure:not([hidden])')"
        assert browser.js(f"{shown}.querySelector('figcaption').textContent").startswith("i9"), browser.js(f"{shown}.innerText")
        browser.wait(f"Array.from({shown}.querySelectorAll('.page:not([hidden]) img')).some(i => i.complete && i.naturalWidth > 500)")
        pages = browser.js(f"{shown}.querySelectorAll('.page[data-page]').length")
        if pages > 1:
            assert browser.js(f"{shown}.querySelector('.page-of').textContent") == f"Page 1 of {pages}"
            browser.js("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'p', bubbles: true}))")
            assert browser.js(f"{shown}.querySelector('.page-of').textContent") == f"Page 2 of {pages}"
            assert browser.js(f"{shown}.querySelectorAll('.page:not([hidden])').length") == 1
            browser.wait(f"Array.from({shown}.querySelectorAll('.page:not([hidden]) img')).some(i => i.complete && i.naturalWidth > 500)")
        browser.screenshot("5b-review-i9-page", whole_page=False)

        # The reviewer approves with the keyboard shortcut and a reason; the decision is in the audit history.
        # Nothing is chosen for the reviewer: the decision bar cannot be submitted without a choice and a reason.
        assert browser.js("document.getElementById('decision').value") == ""
        assert browser.js("document.getElementById('decide').checkValidity()") is False
        browser.js("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'a', bubbles: true}))")
        assert browser.js("document.getElementById('decide').checkValidity()") is False, "a reason is still required"
        assert browser.js("document.getElementById('decision').value") == "approve"
        browser.js("document.getElementById('reason').value = 'Name checked against the licence photo'; document.getElementById('decide').submit()")
        browser.wait("document.getElementById('state') && document.getElementById('state').innerText === 'approved'")
        audit = browser.js("document.getElementById('audit').innerText")
        assert "review.decided" in audit and "reviewer:ana" in audit
        browser.screenshot("6-review-decided")

        # A reviewer is refused the operations page; an admin sees it.
        browser.go(f"{url}/ops")
        assert "This page is for admins." in browser.text()
        browser.js("document.querySelector('form[action=\"/review/logout\"]').submit()")
        browser.wait("document.title.startsWith('Sign in')")
        browser.go(f"{url}/review/login?next=/ops")
        browser.js("document.getElementById('username').value = 'root'; document.getElementById('password').value = 'another long passphrase'; "
                   "document.querySelector('form[action=\"/review/login\"]').submit()")
        browser.wait("document.title.startsWith('Operations')")
        assert "Field error rates by week" in browser.text() and "first_name" in browser.text()
        browser.screenshot("7-ops")
    finally:
        browser.close()
        server.terminate()
        server.wait(timeout=30)
