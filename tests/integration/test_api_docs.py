"""API documents load with no internet (city intranets have none): every service serves /docs
and everything it needs itself, and Swagger UI renders every operation in a real browser."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from deploy.local.processes import SERVICES

pytestmark = pytest.mark.integration


async def test_docs_of_every_service_reference_only_what_the_service_serves(api, platform):
    for service in SERVICES:
        base = platform.url(service)
        page = await api.client.get(f"{base}/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        # the script, style sheet and icon (src/href), and the OpenAPI document Swagger UI loads (url: '…')
        references = re.findall(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""", page.text)
        references = [a or b for a, b in references]
        assert len(references) == 4, references
        for reference in references:
            assert not urlsplit(reference).netloc, f"{service} /docs loads {reference} from another host"
            served = await api.client.get(f"{base}{reference}")
            assert served.status_code == 200, (service, reference)
        assert (await api.client.get(f"{base}/redoc")).status_code == 404  # ReDoc would load from a CDN


async def test_swagger_ui_renders_every_operation_offline(api, platform, offline_page):
    base = platform.url("feedback")
    documented = set((await api.client.get(f"{base}/openapi.json")).json()["paths"])
    page = offline_page.page
    await page.goto(f"{base}/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    shown = set(await page.locator(".opblock-summary-path").all_inner_texts())
    await expect(page.get_by_text("反馈：乡镇（街道）签收")).to_be_visible()  # the service's Chinese description
    await expect(page.get_by_role("button", name="Authorize")).to_be_visible()  # the key can be entered
    await offline_page.photograph("api-docs-feedback")
    assert shown == documented
    assert offline_page.blocked == [] and offline_page.errors == []
