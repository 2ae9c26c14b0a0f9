"""/docs in a real headless browser: Swagger UI loads, renders every operation, and
nothing fails on the way (no failed or >= 400 requests, no console or page errors, no
Content-Security-Policy violations).

Uses Debian's Chromium (`apt-get install chromium`) driven by Playwright; it never
downloads a browser. Without /usr/bin/chromium the test is skipped, unless
DATELINE_REQUIRE_BROWSER=1 is set, in which case it fails.
"""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium phones home and the closed network refuses it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
RENDER_TIMEOUT_MS = 30_000

# Runs in the page before any of its own scripts (injected over CDP, so the page's
# CSP does not apply to it); records every CSP violation the page reports.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


def _browser_unavailable(reason: str):
    if os.environ.get("DATELINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DATELINE_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _require_browser():
    """Playwright's sync API, or skip (fail under DATELINE_REQUIRE_BROWSER=1)."""
    if not os.path.exists(CHROMIUM):
        _browser_unavailable(
            f"{CHROMIUM} not found (install the Debian package: apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _browser_unavailable("the playwright package is not installed (pip install -e '.[test]')")
    return sync_api


@pytest.fixture
def live_server(app):
    """The app on a real HTTP server in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dateline-live", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _operations(app):
    paths = app.test_client().get("/openapi.json").json["paths"]
    return [(method, path) for path, item in paths.items()
            for method in item if method in HTTP_METHODS]


@pytest.mark.browser
def test_docs_page_renders_every_operation_cleanly(app, live_server):
    sync_api = _require_browser()

    operations = _operations(app)
    assert operations, "the OpenAPI document lists no operations"

    failed_requests: list[str] = []
    bad_responses: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(_RECORD_CSP_VIOLATIONS)
            page.on("requestfailed", lambda request: failed_requests.append(
                f"{request.method} {request.url}: {request.failure}"))
            page.on("response", lambda response: response.status >= 400 and bad_responses.append(
                f"{response.request.method} {response.url}: {response.status}"))
            page.on("console", lambda message: message.type == "error" and console_errors.append(
                f"{message.text} ({message.location})"))
            page.on("pageerror", lambda error: page_errors.append(str(error)))

            response = page.goto(f"{live_server}/docs", wait_until="load")
            assert response is not None
            assert response.status == 200
            assert response.header_value("content-security-policy"), \
                "/docs should send a Content-Security-Policy"

            # Swagger UI starts on "load", fetches /openapi.json, then renders.
            try:
                page.wait_for_selector("#swagger-ui .opblock", timeout=RENDER_TIMEOUT_MS)
                page.wait_for_load_state("networkidle", timeout=RENDER_TIMEOUT_MS)
            except sync_api.TimeoutError:
                pytest.fail(
                    "Swagger UI rendered no operations within "
                    f"{RENDER_TIMEOUT_MS / 1000:.0f}s; failed requests: {failed_requests}; "
                    f"error responses: {bad_responses}; console errors: {console_errors}; "
                    f"page errors: {page_errors}; "
                    f"CSP violations: {page.evaluate('window.__cspViolations')}")

            title = page.locator("#swagger-ui .info .title")
            assert "Dateline" in title.inner_text()

            missing = [
                f"{method.upper()} {path}" for method, path in operations
                if page.locator(f'#swagger-ui .opblock.opblock-{method} '
                                f'.opblock-summary-path[data-path="{path}"]').count() != 1
            ]
            assert not missing, f"operations not rendered: {missing}"
            assert page.locator("#swagger-ui .opblock").count() == len(operations)

            # Swagger UI shows spec load/parse problems in the page, not only the console.
            assert page.locator("#swagger-ui .errors-wrapper").count() == 0, \
                page.locator("#swagger-ui .errors-wrapper").inner_text()
            assert page.locator("#swagger-ui .loading-container").count() == 0

            # Opening an operation renders its parameters, bodies and responses.
            first = page.locator("#swagger-ui .opblock").first
            first.locator(".opblock-summary-control").click()
            first.locator(".opblock-body").wait_for(timeout=RENDER_TIMEOUT_MS)
            page.wait_for_load_state("networkidle", timeout=RENDER_TIMEOUT_MS)

            csp_violations = page.evaluate("window.__cspViolations")
            context.close()
        finally:
            browser.close()

    assert not failed_requests, f"requests failed: {failed_requests}"
    assert not bad_responses, f"responses with an error status: {bad_responses}"
    assert not console_errors, f"console errors: {console_errors}"
    assert not page_errors, f"page errors: {page_errors}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
