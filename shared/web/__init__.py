"""Static assets every page of the platform serves from its own process, and the API docs page.

City intranets have no internet: no page may load anything from a CDN. Third-party assets are
vendored under `static/` with their licence, their file names carrying their version.

Swagger UI is `swagger-ui-dist` 5.35.0 from the npm registry (`npm pack swagger-ui-dist@5.35.0`,
integrity sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==):
`swagger-ui-bundle.js`, `swagger-ui.css`, `favicon-32x32.png`, `LICENSE`, `NOTICE` and the bundle's
third-party licences, unchanged. To update: pack the new version, copy the same files under the
new version's names, and change SWAGGER_UI_VERSION.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
SWAGGER_UI_VERSION = "5.35.0"


def serve_static(api: FastAPI) -> None:
    api.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")


def serve_docs(api: FastAPI) -> None:
    """`/docs`: Swagger UI over the app's own OpenAPI document, every asset served by the app (under
    the proxy's prefix, if any). The validator badge is off: it would send the document's address
    to validator.swagger.io."""

    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        swagger = f"{root}{STATIC_PATH}/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} — 接口文档",
            swagger_js_url=f"{swagger}/swagger-ui-bundle-{SWAGGER_UI_VERSION}.js",
            swagger_css_url=f"{swagger}/swagger-ui-{SWAGGER_UI_VERSION}.css",
            swagger_favicon_url=f"{swagger}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    api.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
