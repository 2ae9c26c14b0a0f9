"""The OpenAPI document (/openapi.json, /openapi.yaml) and the interactive page at /docs."""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from api.web.http import produces
from api.web.spec import spec_dict, spec_yaml

blp = Blueprint("docs", __name__, static_folder="static", static_url_path="/docs/static")

# Swagger UI 5 (renders OpenAPI 3.1), served from the swagger-ui-py package: no CDN.
_SWAGGER_UI = str(files("swagger_ui") / "static")
_DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
             "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dateline API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/static/docs.js"></script>
</body>
</html>
"""


@blp.get("/openapi.json")
def openapi_json():
    return jsonify(spec_dict(current_app))


@blp.get("/openapi.yaml")
@produces("application/yaml", "text/yaml")
def openapi_yaml():
    return Response(spec_yaml(current_app), mimetype="application/yaml")


@blp.get("/docs")
@produces("text/html")
def docs_page():
    return Response(_DOCS_PAGE, mimetype="text/html",
                    headers={"Content-Security-Policy": _DOCS_CSP})


@blp.get("/docs/assets/<any('swagger-ui.css', 'swagger-ui-bundle.js'):filename>")
@produces("text/css", "text/javascript", "application/javascript")
def docs_asset(filename):
    return send_from_directory(_SWAGGER_UI, filename, max_age=86400)
