"""Full article text on demand: safe fetching, extraction, splitting into Telegram messages.

Flow: :func:`fetch_article_html` (allow-listed hosts, pinned public addresses, manual redirects, size
and time caps) → :func:`extract` (trafilatura or per-source selectors, then boilerplate cleaning) →
:func:`render_article` (escaped Telegram HTML, ≤ 4096 visible characters per message) →
:func:`paginate` for "next page" buttons. :func:`fetch_and_extract` does the first two in one call.

The function ``extract`` is deliberately *not* re-exported here: it would shadow the submodule
``bot.articles.extract`` (``import bot.articles.extract as m`` would then give the function).
Import it as ``from bot.articles.extract import extract``.
"""

from bot.articles.extract import ArticleSelectors, ExtractedArticle
from bot.articles.fetch import fetch_article_html
from bot.articles.render import ArticlePage, paginate, render_article
from bot.articles.service import fetch_and_extract

__all__ = [
    "ArticlePage",
    "ArticleSelectors",
    "ExtractedArticle",
    "fetch_and_extract",
    "fetch_article_html",
    "paginate",
    "render_article",
]
