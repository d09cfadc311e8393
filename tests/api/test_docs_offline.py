"""An operator opens /docs or /redoc on a machine with no internet: the pages load their scripts and styles
from the ERP itself (no CDN), and every asset answers."""

import re

import pytest
from fastapi.testclient import TestClient

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_need_no_internet(api: TestClient, page: str) -> None:
    html = api.get(page)
    assert html.status_code == 200, html.text
    assets = [a for a in ASSET.findall(html.text) if a.endswith((".js", ".css"))]
    assert assets, html.text
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from outside the ERP"
        answer = api.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset
