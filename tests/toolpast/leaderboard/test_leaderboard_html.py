import json
import re
from html.parser import HTMLParser

from toolpast.cli import main
from toolpast.leaderboard.html import render_page
from toolpast.leaderboard.schema import Leaderboard


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.rows, self.data, self._in_data = [], [], "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "tr" and "data-variant" in attrs:
            self.rows.append(attrs)
        self._in_data = tag == "script" and attrs.get("id") == "leaderboard-data"

    def handle_endtag(self, tag):
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data += data


def test_page_is_self_contained_escaped_and_carries_its_json(make_entry, tmp_path):
    evil = "<script>alert('x')</script>"
    board = Leaderboard(entries=[make_entry("sft", 1, 4, category=evil, command="toolpast run --set a=1&b=<2>"),
                                 make_entry("past", 3, 4, lam=1.0, category=evil)])
    page = render_page(board)
    assert evil not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "a=1&amp;b=&lt;2&gt;" in page
    # No fetches: nothing to load from a network or a server (the SVG namespace URI is a name, not a request).
    assert not re.search(r"\b(src|href)\s*=|@import|url\(|<link\b", page)
    assert set(re.findall(r"https?://[^\s\"'<]+", page)) == {"http://www.w3.org/2000/svg"}
    parser = _Collect()
    parser.feed(page)
    assert json.loads(parser.data) == json.loads(board.model_dump_json())
    assert [(r["data-variant"], float(r["data-success"])) for r in parser.rows] == [("sft", 0.25), ("past", 0.75)]
    assert [a["data-method"] for t, a in parser.tags if t == "tr" and "data-method" in a] == ["unpaired Newcombe"]


def test_html_command_merges_and_writes_one_file(make_entry, tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(Leaderboard(entries=[make_entry("sft", 1, 4), make_entry("past", 2, 4, lam=1.0)]).model_dump_json())
    out = tmp_path / "site" / "page.html"
    assert main(["leaderboard", "html", str(a), str(a), "--out", str(out)]) == 0
    assert "2 entries (4 read, 2 replaced" in capsys.readouterr().out
    page = out.read_text()
    assert page.count('<tr id="row-') == 2 and "<title>toolpast leaderboard: synthetic/weather</title>" in page
